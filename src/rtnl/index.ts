/** rtnetlink: the kernel structs and attribute tables of NETLINK_ROUTE, and the protocol. */
export * from './route.js';
export * from './protocol.js';
