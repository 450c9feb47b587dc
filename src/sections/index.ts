import { deploymentsSection } from './deployments';
import { featuresSection } from './features';
import { jobsSection } from './jobs';
import { modelsSection } from './models';
import { runsSection } from './runs';
import { ISection } from './section';

export type { ISection, ISectionContext } from './section';

/**
 * The sidebar's sections, top to bottom. Add a section here and only here.
 */
export const SECTIONS: ReadonlyArray<ISection> = [
  featuresSection,
  runsSection,
  modelsSection,
  deploymentsSection,
  jobsSection
];
