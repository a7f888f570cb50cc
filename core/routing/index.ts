/** core/routing: the one place that picks the route of an outgoing message. */
export { chooseRoute, colourDropped, compareSafety, maySendReceipts } from './choose-route.ts';
export type { ChooseRouteOptions, RouteCandidate, RouteDecision } from './choose-route.ts';
