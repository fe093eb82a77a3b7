export * from './caching-sha2.js';
export * from './credentials.js';
export * from './native-password.js';
