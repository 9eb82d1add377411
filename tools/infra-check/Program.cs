// Parses T-SQL with Microsoft's own parser (ScriptDom, TSql160Parser: SQL Server 2022 / Azure SQL
// grammar) so that a syntax error in a migration or in a statement the app sends fails CI instead
// of production. Driven by scripts/check-infra.sh; see Usage() for the command line.
//
// Output: one line per file or statement checked, errors as `path:line:column: error SQLnnnnn: message`,
// then a summary. Exit code 0 = everything parsed, 1 = at least one error, 2 = bad usage.

using System.Text.Json;
using Microsoft.SqlServer.TransactSql.ScriptDom;

return InfraCheck.Run(args);

static class InfraCheck
{
    private static int errors;
    private static int filesChecked;
    private static int statementsChecked;

    public static int Run(string[] args)
    {
        var paths = new List<string>();
        var statementFiles = new List<(string Json, string Label)>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--statements":
                    // --statements <json file> <label>: a JSON object { name: sql } to parse, reported as label#name.
                    if (i + 2 >= args.Length) return Usage("--statements needs <json file> <label>");
                    statementFiles.Add((args[i + 1], args[i + 2]));
                    i += 2;
                    break;
                case "-h":
                case "--help":
                    return Usage(null);
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal)) return Usage($"unknown option {args[i]}");
                    paths.Add(args[i]);
                    break;
            }
        }
        if (paths.Count == 0 && statementFiles.Count == 0) return Usage("nothing to check");

        foreach (var path in paths) CheckPath(path);
        foreach (var (json, label) in statementFiles) CheckStatements(json, label);

        Console.WriteLine(
            $"T-SQL summary: {filesChecked} file(s) and {statementsChecked} adapter statement(s) parsed with TSql160Parser, {errors} error(s)");
        return errors == 0 ? 0 : 1;
    }

    private static int Usage(string? problem)
    {
        if (problem != null) Console.Error.WriteLine($"infra-check: {problem}");
        Console.Error.WriteLine("usage: InfraCheck [<file.sql | folder>...] [--statements <statements.json> <label>]...");
        Console.Error.WriteLine("  a folder means every *.sql file in it (recursively, in ordinal order); an empty or missing folder is reported and skipped");
        return 2;
    }

    private static void CheckPath(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path, "*.sql", SearchOption.AllDirectories);
            Array.Sort(files, StringComparer.Ordinal);
            if (files.Length == 0)
            {
                Console.WriteLine($"skip {path}: no .sql files yet");
                return;
            }
            foreach (var file in files) CheckFile(file);
        }
        else if (File.Exists(path))
        {
            CheckFile(path);
        }
        else if (path.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
        {
            // A named file that is missing is a mistake in the caller, not "nothing to check".
            Report(path, 0, 0, "INFRA", "file not found");
        }
        else
        {
            Console.WriteLine($"skip {path}: folder does not exist yet");
        }
    }

    private static void CheckFile(string file)
    {
        filesChecked++;
        var (script, parseErrors) = Parse(File.ReadAllText(file));
        foreach (var e in parseErrors) Report(file, e.Line, e.Column, $"SQL{e.Number}", e.Message);
        if (parseErrors.Count == 0)
        {
            var batches = script?.Batches.Count ?? 0;
            var statements = script?.Batches.Sum(b => b.Statements.Count) ?? 0;
            if (statements == 0)
            {
                // An empty migration is almost certainly a mistake (wrong file saved, content lost).
                Report(file, 1, 1, "INFRA", "no T-SQL statement in this file");
                return;
            }
            Console.WriteLine($"ok   {file} ({batches} batch(es), {statements} statement(s))");
        }
    }

    private static void CheckStatements(string jsonFile, string label)
    {
        Dictionary<string, string>? statements;
        try
        {
            statements = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(jsonFile));
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            Report(jsonFile, 0, 0, "INFRA", $"cannot read statements: {ex.Message}");
            return;
        }
        if (statements == null || statements.Count == 0)
        {
            Report(label, 0, 0, "INFRA", "the statements module exports no statement");
            return;
        }
        foreach (var (name, sql) in statements.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            statementsChecked++;
            var where = $"{label}#{name}";
            var (script, parseErrors) = Parse(sql);
            foreach (var e in parseErrors) Report(where, e.Line, e.Column, $"SQL{e.Number}", e.Message);
            if (parseErrors.Count > 0) continue;
            var batches = script?.Batches.Count ?? 0;
            var count = script?.Batches.Sum(b => b.Statements.Count) ?? 0;
            if (batches > 1)
            {
                // mssql sends a string as one batch; GO is a client-side separator the server rejects.
                Report(where, 1, 1, "INFRA", $"contains {batches} batches (a GO separator); the mssql driver sends one batch");
            }
            else if (count == 0)
            {
                Report(where, 1, 1, "INFRA", "empty statement");
            }
            else
            {
                Console.WriteLine($"ok   {where} ({count} statement(s))");
            }
        }
    }

    private static (TSqlScript? Script, IList<ParseError> Errors) Parse(string sql)
    {
        // initialQuotedIdentifiers: true is the SET QUOTED_IDENTIFIER ON that Azure SQL and the mssql
        // driver use, so "double quoted" names parse as identifiers, as they will at run time.
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        var fragment = parser.Parse(reader, out var parseErrors);
        return (fragment as TSqlScript, parseErrors);
    }

    private static void Report(string where, int line, int column, string code, string message)
    {
        errors++;
        Console.WriteLine($"{where}:{line}:{column}: error {code}: {message}");
    }
}
