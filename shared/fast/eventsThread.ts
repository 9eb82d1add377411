import { serve } from './channel';
import { eventsHandler } from './eventsReader';

/** The events parsing thread of an ingest (eventsReader.ts opens it): the scan of every events line. Justified by bench:ingest. */
serve(eventsHandler());
