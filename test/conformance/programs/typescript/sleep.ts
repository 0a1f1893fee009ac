const forever: number = 1_000_000;
setTimeout(() => {}, forever);
