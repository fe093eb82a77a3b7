// Preloaded (node --import) into both servers: the benchmark holds the other end of stdin, so
// EOF means it is gone and the server must go too. Unref'd: it never keeps a process alive.
process.stdin.on('end', () => process.kill(process.pid, 'SIGKILL'));
process.stdin.resume();
process.stdin.unref();
