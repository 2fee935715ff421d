/**
 * The netlink core: messages, attributes, structs, errors. Pure TypeScript with no
 * Node-only imports, so it runs in a browser; it knows messages and attributes, not routes.
 */
export * from './constants.js';
export * from './errors.js';
export * from './errno.js';
export * from './ip.js';
export * from './struct.js';
export * from './attrs.js';
export * from './message.js';
export * from './json.js';
