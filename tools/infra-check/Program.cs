// Checks the T-SQL with Microsoft's own tools so that a mistake in a migration or in a statement the
// app sends fails CI instead of production. Driven by scripts/check-infra.sh; see Usage().
//   1. Parse: ScriptDom's TSql160Parser (SQL Server 2022 / Azure SQL grammar) on every file and statement.
//   2. Compile: the migrations (files named NNN_name.sql, in name order) become a DacFx TSqlModel
//      (SqlServerVersion.SqlAzure; Schema.cs says how), the adapter's statements are added as procedures
//      with their parameters declared, and TSqlModel.Validate() must report nothing (Model.cs).
//
// Output: one line per file or statement checked, problems as `path:line:column: error CODE: message`
// (a statement: `label#name[:line:column]: ...`), then a summary per step. Exit code 0 = no problem,
// 1 = at least one error or warning, 2 = bad usage.

using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.SqlServer.TransactSql.ScriptDom;

return InfraCheck.Run(args);

static class InfraCheck
{
    private static int errors;
    private static int filesChecked;
    private static int statementsChecked;

    public static int Run(string[] args)
    {
        // DacFx sends usage telemetry unless told not to; a check has nothing to report to anyone.
        Environment.SetEnvironmentVariable("DACFX_TELEMETRY_OPTOUT", "1");
        var paths = new List<string>();
        var statementFiles = new List<(string Json, string Label)>();
        var parameterFiles = new List<(string Json, string Label)>();
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
                case "--parameters":
                    // --parameters <json file> <label>: a JSON object { name: T-SQL type } for the statements' @name parameters.
                    if (i + 2 >= args.Length) return Usage("--parameters needs <json file> <label>");
                    parameterFiles.Add((args[i + 1], args[i + 2]));
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
        var parameters = new List<(string Label, Dictionary<string, string> Types)>();
        foreach (var (json, label) in parameterFiles)
            if (ReadJsonObject(json, label, "parameter types") is { } types) parameters.Add((label, types));

        Console.WriteLine(
            $"T-SQL summary: {filesChecked} file(s) and {statementsChecked} adapter statement(s) parsed with TSql160Parser, {errors} error(s)");

        if (migrations.Count > 0 || adapterStatements.Count > 0)
        {
            if (migrationParseFailed)
                Console.WriteLine("note: a migration did not parse, so the schema below lacks what it defines");
            ModelCheck.Run(migrations, adapterStatements, parameters);
        }
        return errors == 0 && ModelCheck.Errors == 0 && ModelCheck.Warnings == 0 ? 0 : 1;
    }

    private static readonly List<Migration> migrations = new();
    private static readonly List<AdapterStatement> adapterStatements = new();
    private static bool migrationParseFailed;

    /// <summary>The migrations' names, as `leadscore migrate` finds them (shared/adapters/warehouse/tsql-batches.ts).</summary>
    private static readonly Regex MigrationName = new(@"^\d{3}_[\w-]+\.sql$");

    private static int Usage(string? problem)
    {
        if (problem != null) Console.Error.WriteLine($"infra-check: {problem}");
        Console.Error.WriteLine("usage: InfraCheck [<file.sql | folder>...] [--statements <statements.json> <label>]... [--parameters <types.json> <label>]...");
        Console.Error.WriteLine("  a folder means every *.sql file in it (recursively, in ordinal order); an empty or missing folder is reported and skipped");
        Console.Error.WriteLine("  files named NNN_name.sql are migrations: applied in name order, they make the schema the statements compile against");
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
        var isMigration = MigrationName.IsMatch(Path.GetFileName(file));
        if (isMigration && (parseErrors.Count > 0 || script == null)) migrationParseFailed = true;
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
            Console.WriteLine($"ok   {file} ({batches} batch(es), {statements} statement(s){(isMigration ? ", a migration" : "")})");
            if (isMigration) migrations.Add(new Migration(file, script!));
        }
    }

    private static void CheckStatements(string jsonFile, string label)
    {
        if (ReadJsonObject(jsonFile, label, "statements") is not { } texts) return;
        foreach (var (name, sql) in texts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
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
                // Its verdict comes after it was compiled against the schema (ModelCheck).
                adapterStatements.Add(new AdapterStatement(where, name, script!, sql));
            }
        }
    }

    /// <summary>A JSON object of strings ({ name: text }); null (reported) when unreadable or empty.</summary>
    private static Dictionary<string, string>? ReadJsonObject(string jsonFile, string label, string what)
    {
        Dictionary<string, string>? map;
        try
        {
            map = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(jsonFile));
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            Report(jsonFile, 0, 0, "INFRA", $"cannot read {what}: {ex.Message}");
            return null;
        }
        if (map == null || map.Count == 0)
        {
            Report(label, 0, 0, "INFRA", $"the module exports no {what}");
            return null;
        }
        return map;
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
