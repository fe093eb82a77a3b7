export {
  EVENT_GROUP,
  EventLoopGroup,
  type EventLoopGroupOptions,
  type WorkerInfo,
  type WorkerStatus,
} from './event-loop-group.js';
export { EVENT_LOOP, type EventLoopInfo } from './event-loop-info.js';
export { type LoopHealth, LoopMonitor, type LoopMonitorOptions } from './loop-monitor.js';
export { threadsOption } from './threads-option.js';
export { type WorkerData, workerIdentity } from './worker-identity.js';
export { workerShare } from './worker-share.js';
