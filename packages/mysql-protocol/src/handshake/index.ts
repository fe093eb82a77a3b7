export * from './auth-switch.js';
export * from './client.js';
export * from './greeting.js';
export * from './response.js';
export * from './server.js';
