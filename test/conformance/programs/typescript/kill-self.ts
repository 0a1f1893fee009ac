const self: number = process.pid;
process.kill(self, 'SIGKILL');
