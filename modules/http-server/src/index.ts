export { addBuiltinRoutes } from './builtin-routes.js';
export { default, HTTP_SERVER, type HttpServerInfo } from './module.js';
export { HttpRequest } from './request.js';
export { HttpResponse } from './response.js';
export { HTTP_ROUTES, type HttpRouter, type RouteMatch, Router } from './router.js';
export { HttpServer, type HttpServerOptions, type ServerLog } from './server.js';
export { DEFAULT_SETTINGS, type ServerSettings } from './settings.js';
export { ConnectionClosedError, HttpError, type HttpHandler } from './types.js';
