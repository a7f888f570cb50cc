/** core/security: the one place that turns route facts into a padlock. */
export { MAX_POINTS, PARTIAL_END_TO_END_POINTS, UNKNOWN_FACTS, protocolLabel, rate } from './rating.ts';
