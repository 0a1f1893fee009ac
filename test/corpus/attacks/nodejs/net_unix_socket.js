// corpus: attack class=socket form=textbook
// Raw sockets: a Unix socket server and client.
const net = require('net');

function main() {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.end('raw socket open'));
    server.listen('sock', () => {
      const client = net.connect('sock', () => {});
      client.on('data', (data) => {
        server.close();
        resolve({ received: data.toString() });
      });
    });
  });
}

module.exports = { main };
