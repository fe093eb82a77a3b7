export { default } from './echo-server.js';
export { ECHO_SERVER, type EchoServer } from './service.js';
