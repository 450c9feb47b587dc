// One client for the whole `/mlops/api`: every request goes through
// `requestAPI`, so auth, the XSRF header and error decoding live in one place.
export * from './request';
export * from './status';
export * from './runs';
export * from './models';
export * from './jobs';
export * from './features';
export * from './lineage';
export * from './scoring';
export * from './tuning';
