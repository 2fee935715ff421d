/**
 * The pure codec: netlink messages, rtnetlink tables, JSON, the explain view and the capture
 * readers. No Node-only imports and no native code, so it runs in a browser too
 * (`import ... from 'nlwire/codec'`).
 */
export * from './netlink/index.js';
export * from './netlink/explain.js';
export * from './rtnl/index.js';
export * from './capture/hexlines.js';
export * from './capture/strace.js';
export * from './capture/pcap.js';
export * from './capture/pcapng.js';
export * from './capture/detect.js';
