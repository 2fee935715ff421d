/**
 * NETLINK_ROUTE as a {@link Protocol}: every rtnetlink message type nlwire describes,
 * for the generic decoder, encoder, JSON and explain view in src/netlink.
 */
import { protocol, type Protocol } from '../netlink/message.js';
import { NETLINK_ROUTE } from '../netlink/constants.js';
import { routeMessages } from './route.js';
import { linkMessages } from './link.js';
import { addrMessages } from './addr.js';
import { ruleMessages } from './rule.js';
import { neighMessages, neighTableMessages } from './neigh.js';

/** The rtnetlink protocol description. */
export const rtnetlink: Protocol = protocol('NETLINK_ROUTE', NETLINK_ROUTE, [
  ...linkMessages,
  ...addrMessages,
  ...routeMessages,
  ...neighMessages,
  ...neighTableMessages,
  ...ruleMessages,
]);
