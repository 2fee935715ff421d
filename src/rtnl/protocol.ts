/**
 * NETLINK_ROUTE as a {@link Protocol}: every rtnetlink message type nlwire describes,
 * for the generic decoder, encoder, JSON and explain view in src/netlink.
 */
import { protocol, type Protocol } from '../netlink/message.js';
import { NETLINK_ROUTE } from '../netlink/constants.js';
import { routeMessages } from './route.js';

/** The rtnetlink protocol description. */
export const rtnetlink: Protocol = protocol('NETLINK_ROUTE', NETLINK_ROUTE, [
  ...routeMessages,
]);
