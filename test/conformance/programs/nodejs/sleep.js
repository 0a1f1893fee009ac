setTimeout(() => {}, 1_000_000);
