export {
  EVENT_GROUP,
  EventLoopGroup,
  type EventLoopGroupOptions,
  type WorkerInfo,
  type WorkerStatus,
} from './event-loop-group.js';
export { EVENT_LOOP, type EventLoopInfo } from './event-loop-info.js';
export { type LoopHealth, LoopMonitor, type LoopMonitorOptions } from './loop-monitor.js';
export { DEFAULT_ASK_TIMEOUT, type PeerHandler, PeerRequests } from './peer-requests.js';
export { NICE_RANGE, setThreadNice } from './thread-nice.js';
export { threadsOption } from './threads-option.js';
export { type WorkerData, workerIdentity, workerPeers } from './worker-identity.js';
export { workerShare } from './worker-share.js';
