/** Types of kusto.js, for the tests that analyse a query directly. */
export type KqlScope = 'workspace' | 'appInsights';

export interface KqlDiagnostic {
  /** Error, Warning, Suggestion, Information or Hidden (Kusto.Language.DiagnosticSeverity). */
  severity: string;
  code: string;
  start: number;
  length: number;
  message: string;
}

export interface KqlColumn {
  name: string;
  /** Kusto's scalar type name: string, int, long, real, bool, datetime, timespan, dynamic, … */
  type: string;
}

export const SCOPES: readonly KqlScope[];
export const schemaFile: string;
export function analyze(text: string, scope: KqlScope): { diagnostics: KqlDiagnostic[]; columns: KqlColumn[] };
export function tables(scope: KqlScope): Record<string, Record<string, string>>;
