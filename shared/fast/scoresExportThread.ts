import { parentPort } from 'node:worker_threads';
import { exportHandler } from '../app/scoresExport';
import { serveRequests } from './channel';

/** The lake export's thread: scores and formats the parts of an export (see ScoresExport). */
if (parentPort) serveRequests(exportHandler());
