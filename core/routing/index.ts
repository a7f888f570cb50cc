/** core/routing: the one place that picks the route of an outgoing message. */
export { chooseRoute, maySendReceipts } from './choose-route.ts';
export type { ChooseRouteOptions, RouteCandidate, RouteDecision } from './choose-route.ts';
