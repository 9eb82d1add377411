import './sqliteQuiet';
import { serve } from '../../fast/channel';
import { loaderHandler } from './sqlitePopulation';

/**
 * The population loader's thread (SqlitePopulationLoad opens it): binds and steps the load's INSERTs
 * while the main thread reads and validates the next chunk; after the commit, the checkpoint copies
 * the WAL into the database file, and the thread is ended.
 */
serve(loaderHandler());
