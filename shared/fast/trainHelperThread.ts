import { serve } from './channel';
import { trainJobHandler } from './trainHelper';

/** The second thread of `leadscore train` (TrainHelper in trainHelper.ts opens it): parsing and side jobs. Justified by bench:train. */
serve(trainJobHandler());
