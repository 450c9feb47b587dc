import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import {
  IFeatureService,
  IFeatureViewSummary,
  listFeatureServices,
  listFeatureViews
} from '../api';
import { useChangeToken } from '../changes';
import { CommandIDs } from '../commandIds';
import { VirtualList } from '../components/VirtualList';
import { errorMessage } from '../format';
import { FilterBox } from '../runs/FilterBox';
import { EmptyState } from '../sections/section';
import { ServiceItem } from './ServiceItem';
import { FEATURE_ROW_HEIGHT, ViewRow } from './ViewRow';

/** Wait this long after the last keystroke before searching. */
const SEARCH_DELAY_MS = 250;

export interface IFeaturesPanelProps {
  serverSettings: ServerConnection.ISettings;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

/**
 * Whether a service matches the search as a view would: by a substring of
 * its name, description, tags or feature references. The server filters
 * views; services are few and filtered here.
 */
function serviceMatches(service: IFeatureService, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (needle === '') {
    return true;
  }
  const text = [
    service.name,
    service.description,
    ...Object.keys(service.tags),
    ...Object.values(service.tags),
    ...service.features
  ]
    .join(' ')
    .toLowerCase();
  return text.includes(needle);
}

/**
 * The Features section: a search over the feature views, the views (each
 * opens in the main area) and the feature services with their snippets.
 */
export function FeaturesPanel(props: IFeaturesPanelProps): JSX.Element {
  const { serverSettings, commands, trans } = props;
  const [query, setQuery] = React.useState('');
  const [views, setViews] = React.useState<IFeatureViewSummary[] | null>(null);
  const [services, setServices] = React.useState<IFeatureService[] | null>(
    null
  );
  const [error, setError] = React.useState<string | null>(null);
  // Answers to searches typed since are dropped: the box may change faster
  // than the server answers.
  const latest = React.useRef(0);

  const loadViews = React.useCallback(
    async (search: string) => {
      const request = ++latest.current;
      try {
        const found = await listFeatureViews(search, serverSettings);
        if (request === latest.current) {
          setViews(found);
          setError(null);
        }
      } catch (reason) {
        if (request === latest.current) {
          setError(errorMessage(reason));
        }
      }
    },
    [serverSettings]
  );

  const loadServices = React.useCallback(async () => {
    try {
      setServices(await listFeatureServices(serverSettings));
    } catch (reason) {
      setError(errorMessage(reason));
    }
  }, [serverSettings]);

  React.useEffect(() => {
    void loadViews('');
    void loadServices();
  }, [loadViews, loadServices]);
  // A view applied from a notebook, a job or the CLI shows up by itself.
  const queryNow = React.useRef(query);
  queryNow.current = query;
  useChangeToken('features', serverSettings, () => {
    void loadViews(queryNow.current);
    void loadServices();
  });

  const search = React.useCallback(
    (text: string) => {
      setQuery(text);
      void loadViews(text);
    },
    [loadViews]
  );
  const onOpen = React.useCallback(
    (name: string) =>
      void commands.execute(CommandIDs.openFeatureView, { name }),
    [commands]
  );

  const shownServices = (services ?? []).filter(service =>
    serviceMatches(service, query)
  );
  const loaded = views !== null && services !== null;
  const nothing =
    query.trim() === '' &&
    (loaded || error !== null) &&
    (views ?? []).length === 0 &&
    (services ?? []).length === 0;

  return (
    <div className="jp-mlops-features" data-mlops-panel="features">
      <div className="jp-mlops-features-search">
        <FilterBox
          value={query}
          error={null}
          onApply={search}
          debounceMs={SEARCH_DELAY_MS}
          placeholder={trans.__('Search feature views')}
          label={trans.__('Search feature views')}
          hint={trans.__(
            'Matches names, descriptions, owners, tags and feature names'
          )}
          trans={trans}
        />
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Reload feature views and services')}
          onClick={() => {
            void loadViews(query);
            void loadServices();
          }}
        />
      </div>
      {error !== null && (
        <div className="jp-mlops-error" role="alert">
          {error}
        </div>
      )}
      {nothing ? (
        <EmptyState section="features">
          {trans.__(
            "Feature views and services registered in this project's feature store will appear here."
          )}
        </EmptyState>
      ) : (
        <>
          <h3 className="jp-mlops-feature-group" data-group="views">
            {trans.__('Feature views')}
            {views !== null && (
              <span className="jp-mlops-muted"> ({views.length})</span>
            )}
          </h3>
          {views !== null && views.length === 0 && (
            <div className="jp-mlops-empty jp-mlops-feature-no-match">
              {query.trim() === ''
                ? trans.__('No feature views yet.')
                : trans.__('No feature views match “%1”.', query.trim())}
            </div>
          )}
          {views !== null && views.length > 0 && (
            <VirtualList
              className="jp-mlops-feature-list"
              itemCount={views.length}
              rowHeight={FEATURE_ROW_HEIGHT}
              rowKey={index => views[index].name}
              renderRow={index => (
                <ViewRow view={views[index]} onOpen={onOpen} trans={trans} />
              )}
            />
          )}
          <h3 className="jp-mlops-feature-group" data-group="services">
            {trans.__('Feature services')}
            {services !== null && (
              <span className="jp-mlops-muted"> ({shownServices.length})</span>
            )}
          </h3>
          {services !== null && shownServices.length === 0 && (
            <div className="jp-mlops-empty">
              {services.length === 0
                ? trans.__('No feature services yet.')
                : trans.__('No feature services match “%1”.', query.trim())}
            </div>
          )}
          {shownServices.length > 0 && (
            <ul className="jp-mlops-feature-services">
              {shownServices.map(service => (
                <ServiceItem
                  key={service.name}
                  service={service}
                  commands={commands}
                  onOpenView={onOpen}
                  trans={trans}
                />
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}
