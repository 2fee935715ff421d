/**
 * nlwire: Linux netlink (rtnetlink) for Node.js. Everything in `nlwire/codec`, plus the
 * socket (over the native shim) and the rtnetlink client.
 */
export * from './codec.js';
export * from './netlink/socket.js';
export * from './rtnl/client.js';
