import { serve } from './channel';
import { exportHandler } from './scoresCsv';

/** The lake export's thread (ScoresExport in app/scoresExport.ts opens it): scores and formats the parts. Justified by bench:score. */
serve(exportHandler());
