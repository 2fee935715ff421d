/** rtnetlink: the kernel structs and attribute tables of NETLINK_ROUTE, and the protocol. */
export * from './route.js';
export * from './link.js';
export * from './addr.js';
export * from './rule.js';
export * from './neigh.js';
export * from './protocol.js';
