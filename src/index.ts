/**
 * nlwire: Linux netlink (rtnetlink) for Node.js. The codec (src/netlink, src/rtnl tables)
 * runs anywhere; the socket and client use the native shim.
 */
export * from './netlink/index.js';
export * from './rtnl/index.js';
