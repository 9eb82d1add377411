// Compiles the T-SQL against the schema with Microsoft's DacFx: a TSqlModel (SqlServerVersion.SqlAzure)
// holds the objects the migrations define (Schema.cs) and every adapter statement wrapped as
//   CREATE PROCEDURE [dbo].[check_<name>] @p TYPE, ... AS BEGIN <statement> END
// with exactly the parameters the statement uses, typed from MSSQL_PARAMETER_TYPES. TSqlModel.Validate()
// then resolves every table, column and parameter reference.
//
// Errors and warnings both fail. Warnings are not noise here: a procedure's reference to a table that
// does not exist is only warning SQL71502 to DacFx (deferred name resolution), and a statement DacFx
// could not model at all is warning SQL70501. Each is printed as `label#statement[:line:col]: error
// SQLnnnnn: message` for a statement or `file:line:col: error SQLnnnnn: message` for a migration; the
// position is where the unresolved name first appears (DacFx names the element, not the place).

using System.Text.RegularExpressions;
using Microsoft.SqlServer.Dac.Model;
using Microsoft.SqlServer.TransactSql.ScriptDom;

/// <summary>An adapter statement that parsed: `where` is label#name.</summary>
sealed record AdapterStatement(string Where, string Name, TSqlScript Script, string Sql);

/// <summary>A migration file that parsed.</summary>
sealed record Migration(string File, TSqlScript Script);

/// <summary>One text given to DacFx under its own source name, and where to report its problems.</summary>
/// Generated: the text is not in any file (a table ALTER TABLE changed); Parts then says where each of its
/// columns, constraints and indexes was written.
sealed record ModelSource(string Key, string Text, Place Place, bool Generated, string Subject, IReadOnlyList<(TSqlFragment Source, Place Script)>? Parts = null);

static partial class ModelCheck
{
    public static int Errors { get; private set; }
    public static int Warnings { get; private set; }

    public static void Run(IReadOnlyList<Migration> migrations, IReadOnlyList<AdapterStatement> statements, IReadOnlyList<(string Label, Dictionary<string, string> Types)> parameters)
    {
        var lines = new List<(string Subject, string Line)>();
        void Diag(string subject, string at, bool warning, string code, string message)
        {
            if (warning) Warnings++; else Errors++;
            lines.Add((subject, $"{at}: {(warning ? "warning" : "error")} {code}: {message}"));
        }

        // 1. The migrations, in file-name order, into declarative objects.
        var schema = new SchemaBuilder();
        foreach (var m in migrations.OrderBy(m => Path.GetFileName(m.File), StringComparer.Ordinal))
        {
            var file = new Place(m.File, 1, 1);
            var before = new OrderedDictionary<string, SchemaObject>(schema.Objects, StringComparer.OrdinalIgnoreCase);
            var problems = schema.Apply(m.Script, file);
            if (problems.Count == 0) problems = schema.CheckRerun(m.Script, file, before);
            foreach (var p in problems) Diag(m.File, p.At, false, "INFRA", p.Message);
        }
        var sources = new List<ModelSource>();
        foreach (var o in schema.Objects.Values)
        {
            var (text, generated) = SchemaBuilder.Declaration(o);
            // The text starts where its statement does in the script it came from (a file, or an EXEC's literal).
            var at = new Place(o.Place.Where, o.Definition.StartLine, o.Definition.StartColumn, o.Place);
            sources.Add(new ModelSource($"migration object {sources.Count + 1} {o.Name}", text, at, generated, o.Place.Where, generated ? o.Table!.Parts.ToList() : null));
        }
        var objectSources = sources.Count;

        // 2. Each adapter statement as a procedure declaring the parameters it uses.
        var types = new Dictionary<string, (string Type, string Label)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (label, map) in parameters)
            foreach (var (name, type) in map)
            {
                var parser = new TSql160Parser(initialQuotedIdentifiers: true);
                var parsed = parser.ParseScalarDataType(new StringReader(type), out var errors);
                if (errors.Count > 0 || parsed == null)
                    Diag(label, $"{label}#{name}", false, "INFRA", $"'{type}' is not a T-SQL data type{(errors.Count > 0 ? $" ({errors[0].Message})" : "")}");
                else types[name.TrimStart('@')] = (type, label);
            }
        var paramsLabel = parameters.Count > 0 ? string.Join(", ", parameters.Select(p => p.Label)) : "no --parameters file";
        var compiled = new Dictionary<string, string>();
        foreach (var s in statements)
        {
            var used = Variables.Of(s.Script);
            var missing = used.Where(v => !types.ContainsKey(v)).ToList();
            foreach (var v in missing)
                Diag(s.Where, s.Where, false, "INFRA", $"uses @{v}, which has no type in {paramsLabel} (MSSQL_PARAMETER_TYPES)");
            if (missing.Count > 0) continue;
            var declared = string.Join(", ", used.Select(v => $"@{v} {types[v].Type}"));
            var header = $"CREATE PROCEDURE [dbo].[check_{s.Name.Replace("]", "]]")}]{(declared.Length > 0 ? " " + declared : "")} AS BEGIN";
            compiled[s.Where] = declared.Length > 0 ? declared : "no parameters";
            // Line 1 is the header: the statement's line n is the wrapper's line n + 1.
            sources.Add(new ModelSource($"statement {s.Where}", $"{header}\n{s.Sql}\nEND", new Place(s.Where, 0, 1), false, s.Where));
        }

        // 3. DacFx. A build-blocking error in one text stops the model taking any more, so the failing
        //    text is reported and left out, and the model is built again without it.
        var byKey = sources.ToDictionary(s => s.Key);
        var excluded = new HashSet<string>();
        var reported = new HashSet<string>();
        var validated = false;
        while (!validated)
        {
            using var model = new TSqlModel(SqlServerVersion.SqlAzure, new TSqlModelOptions());
            var options = new TSqlObjectOptions { QuotedIdentifier = true, AnsiNulls = true };
            string? failed = null;
            foreach (var s in sources.Where(s => !excluded.Contains(s.Key)))
            {
                try { model.AddOrUpdateObjects(s.Text, s.Key, options); }
                catch (Microsoft.SqlServer.Dac.Model.DacModelException) { failed = s.Key; break; }
            }
            foreach (var e in model.GetModelErrors())
            {
                var src = e.SourceName != null && byKey.TryGetValue(e.SourceName, out var found) ? found : null;
                var at = src == null ? "model" : src.Generated ? src.Place.At(1, 1) : src.Place.At(e.Line, e.Column);
                if (reported.Add($"{at}|{e.Prefix}{e.ErrorCode}|{e.Message}"))
                    Diag(src?.Subject ?? "model", at, e.Severity != ModelErrorSeverity.Error, $"{e.Prefix}{e.ErrorCode}", e.Message + (src?.Generated == true ? $" (in {src.Key[(src.Key.LastIndexOf(' ') + 1)..]} as ALTER TABLE left it)" : ""));
            }
            if (failed != null)
            {
                var src = byKey[failed];
                Diag(src.Subject, src.Place.At(1, 1), false, "INFRA", "DacFx cannot take this definition (see its errors); it is left out of the model, so whatever uses it fails too");
                excluded.Add(failed);
                if (!reported.Add($"excluded|{failed}")) break;
                continue;
            }

            var owner = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var obj in model.GetObjects(DacQueryScopes.UserDefined))
                if (obj.GetSourceInformation()?.SourceName is { } sourceName) owner.TryAdd(obj.Name.ToString(), sourceName);
            var messages = new List<(ModelSource? Src, string At, string Code, string Referenced, bool Warning, string Message)>();
            foreach (var msg in model.Validate())
            {
                var (src, element, message) = Locate(msg.Message, owner, byKey);
                var at = src == null ? "model" : NamePosition(src, element, message) ?? src.Place.At(1, 1);
                var referenced = ReferencedName().Match(message) is { Success: true } r ? r.Groups["name"].Value.TrimEnd('.', ':') : message;
                messages.Add((src, at, $"{msg.Prefix}{msg.Number}", referenced, msg.MessageType != Microsoft.SqlServer.Dac.DacMessageType.Error, message));
            }
            foreach (var f in messages)
            {
                // A missing table also makes each of its columns unresolved: the table is enough. And DacFx
                // reports one unresolved column twice, for the view and for its column: once is enough.
                if (messages.Any(g => g.Src == f.Src && f.Referenced.StartsWith(g.Referenced + ".", StringComparison.Ordinal))) continue;
                if (reported.Add($"{f.At}|{f.Code}|{f.Referenced}")) Diag(f.Src?.Subject ?? "model", f.At, f.Warning, f.Code, f.Message);
            }
            validated = true;
        }

        // 4. Report: the migrations' problems, then each statement's verdict, each in the order of the text.
        lines = lines.OrderBy(l => l.Subject, StringComparer.Ordinal).ThenBy(l => Position(l.Line)).ToList();
        var ordered = migrations.OrderBy(m => Path.GetFileName(m.File), StringComparer.Ordinal).ToList();
        foreach (var m in ordered)
        {
            var own = lines.Where(l => l.Subject == m.File).ToList();
            if (own.Count == 0) Console.WriteLine($"ok   {m.File} (in the model; running it again from any batch changes nothing)");
            else foreach (var (_, line) in own) Console.WriteLine(line);
        }
        foreach (var (_, line) in lines.Where(l => !ordered.Any(m => m.File == l.Subject) && !statements.Any(s => s.Where == l.Subject))) Console.WriteLine(line);
        foreach (var s in statements.OrderBy(s => s.Where, StringComparer.Ordinal))
        {
            var own = lines.Where(l => l.Subject == s.Where).ToList();
            if (own.Count == 0) Console.WriteLine($"ok   {s.Where} (compiled against the schema, {compiled[s.Where]})");
            else foreach (var (_, line) in own) Console.WriteLine(line);
        }
        Console.WriteLine(
            $"DacFx summary: {migrations.Count} migration(s) -> {schema.Count(ObjectKind.Table)} table(s), {schema.Count(ObjectKind.View)} view(s), " +
            $"{schema.Count(ObjectKind.Index)} index(es), {objectSources - schema.Count(ObjectKind.Table) - schema.Count(ObjectKind.View) - schema.Count(ObjectKind.Index)} other object(s); " +
            $"{compiled.Count} adapter statement(s) compiled as procedures; TSqlModel (SqlAzure): {Errors} error(s), {Warnings} warning(s)");
    }

    /// <summary>(line, column) of a `where:line:col: ...` report, for sorting; files' own errors come first.</summary>
    private static (int, int) Position(string line)
    {
        var m = LinePosition().Match(line);
        return m.Success ? (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value)) : (0, 0);
    }

    [GeneratedRegex(@"^[^:]*:(\d+):(\d+): ")]
    private static partial Regex LinePosition();

    /// <summary>The text an element's message came from, and the message without DacFx's
    /// "Error validating element [x]: " prefix (the statement or file is named instead).</summary>
    private static (ModelSource? Source, string Element, string Message) Locate(string message, Dictionary<string, string> owner, Dictionary<string, ModelSource> byKey)
    {
        var m = ElementPrefix().Match(message);
        if (!m.Success) return (null, "", message);
        var element = m.Groups["element"].Value;
        // A child element (a column of a view, say) belongs to the text that defined its parent.
        for (var name = element; name.Length > 0; name = name.Contains("].[") ? name[..name.LastIndexOf(".[", StringComparison.Ordinal)] : "")
            if (owner.TryGetValue(name, out var key) && byKey.TryGetValue(key, out var src))
                return (src, element, m.Groups["rest"].Value);
        return (null, element, message);
    }

    /// <summary>Where the unresolved name of an SQL71501/SQL71502 message first appears in the text.</summary>
    private static string? NamePosition(ModelSource src, string element, string message)
    {
        var m = ReferencedName().Match(message);
        if (!m.Success) return null;
        var parts = BracketPart().Matches(m.Groups["name"].Value);
        if (parts.Count == 0) return null;
        var wanted = parts[^1].Groups[1].Value.Replace("]]", "]");
        IEnumerable<(TSqlParserToken Token, Place Place)> tokens;
        if (src.Parts != null)
        {
            // A generated table: look in the statements its parts were written in, in the files, first in
            // the part that defines the element (the constraint, say) the message is about.
            var own = BracketPart().Matches(element) is { Count: > 0 } e ? e[^1].Groups[1].Value : "";
            var pieces = src.Parts.Where(x => x.Source.ScriptTokenStream != null && x.Source.FirstTokenIndex >= 0)
                .Select(x => x.Source.ScriptTokenStream.Skip(x.Source.FirstTokenIndex).Take(x.Source.LastTokenIndex - x.Source.FirstTokenIndex + 1).Select(t => (t, x.Script)).ToList())
                .OrderBy(part => part.Any(x => string.Equals(Unquoted(x.t), own, StringComparison.OrdinalIgnoreCase)) ? 0 : 1);
            tokens = pieces.SelectMany(part => part);
        }
        else
        {
            var parser = new TSql160Parser(initialQuotedIdentifiers: true);
            var fragment = parser.Parse(new StringReader(src.Text), out _);
            if (fragment?.ScriptTokenStream == null) return null;
            tokens = fragment.ScriptTokenStream.Select(t => (t, src.Place));
        }
        foreach (var (t, place) in tokens)
        {
            var text = Unquoted(t);
            if (text != null && string.Equals(text, wanted, StringComparison.OrdinalIgnoreCase) && place.Map(t.Line, t.Column) != null)
                return place.At(t.Line, t.Column);
        }
        return null;
    }

    private static string? Unquoted(TSqlParserToken t) => t.TokenType switch
    {
        TSqlTokenType.Identifier => t.Text,
        TSqlTokenType.QuotedIdentifier => t.Text[1..^1],
        _ => null,
    };

    [GeneratedRegex(@"^Error validating element (?<element>\[.*?\]): (?<rest>.*)$", RegexOptions.Singleline)]
    private static partial Regex ElementPrefix();

    [GeneratedRegex(@"(?:reference to (?:an? )?\w+|following objects:)\s+(?<name>(?:\[(?:[^\]]|\]\])+\](?:\.|::)?)+)")]
    private static partial Regex ReferencedName();

    [GeneratedRegex(@"\[((?:[^\]]|\]\])+)\]")]
    private static partial Regex BracketPart();
}

/// <summary>The parameters a statement uses: every @name it references that it does not DECLARE itself,
/// in order of first use, without the @.</summary>
sealed class Variables : TSqlFragmentVisitor
{
    private readonly List<string> used = new();
    private readonly HashSet<string> declared = new(StringComparer.OrdinalIgnoreCase);

    public static List<string> Of(TSqlFragment fragment)
    {
        var v = new Variables();
        fragment.Accept(v);
        return v.used.Where(u => !v.declared.Contains(u)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    public override void Visit(VariableReference node) => used.Add(node.Name.TrimStart('@'));
    public override void Visit(DeclareVariableElement node) => declared.Add(node.VariableName.Value.TrimStart('@'));
    public override void Visit(DeclareTableVariableBody node) => declared.Add(node.VariableName.Value.TrimStart('@'));
}
