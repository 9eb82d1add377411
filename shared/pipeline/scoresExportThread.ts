import { exportHandler } from './scoresExport';
import { serveRequests } from './requestChannel';

/** The lake export's thread: scores and formats the parts of an export (see ScoresExport). */
serveRequests(exportHandler());
