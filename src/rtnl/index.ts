/**
 * rtnetlink: the kernel structs and attribute tables of NETLINK_ROUTE, the protocol, the
 * requests iproute2 sends and the friendly views of replies (request.ts: `Route`,
 * `RouteOptions`, `routeRequest`, `routeView`...), and the route fast paths straight to and
 * from bytes (`writeRouteRequest`, `decodeRoutes`).
 */
export * from './route.js';
export * from './link.js';
export * from './addr.js';
export * from './rule.js';
export * from './neigh.js';
export * from './protocol.js';
export * from './request.js';
export * from './route-decode.js';
export * from './route-encode.js';
