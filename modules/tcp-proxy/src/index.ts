export { default, default as module } from './module.js';
export { TCP_PROXY, type TcpProxyService } from './service.js';
export { type ConnectFunction, TcpProxy, type TcpProxySettings, type TcpProxyStats } from './tcp-proxy.js';
export { type BalancePolicy, Upstream, UpstreamSet, type UpstreamStats } from './upstreams.js';
