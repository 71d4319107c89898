import type { Episode } from './episode.js';
import { bulkEgress, secretEgress, slowEgress } from './episodes-egress.js';
import { envScraping, rugPull, shadowing, unadvertised } from './episodes-novelty.js';
import { burst, loop, loopFast } from './episodes-rate.js';
import type { HostileFamily } from './labels.js';

export type { ClientBaseline, EpisodeContext } from './episode.js';

/** The recipe of each attack family: each builds the whole session around its episode. */
export const EPISODES: Readonly<Record<HostileFamily, Episode>> = {
  loop,
  loop_fast: loopFast,
  burst,
  rug_pull: rugPull,
  shadowing,
  unadvertised_tool: unadvertised,
  bulk_egress: bulkEgress,
  slow_egress: slowEgress,
  secret_egress: secretEgress,
  env_scraping: envScraping,
};
