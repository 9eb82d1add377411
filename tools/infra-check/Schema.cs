// Turns the migrations (guarded, idempotent scripts that `leadscore migrate` sends batch by batch) into
// the declarative object definitions a DacFx model takes: the schema a fresh database has after every
// migration ran once, in file-name order. Nothing is changed in the migrations themselves.
//
// Each top-level statement is applied to an in-memory schema (object name -> its CREATE), in order:
//   CREATE TABLE | VIEW | PROCEDURE | FUNCTION | TRIGGER | INDEX | SCHEMA | SEQUENCE   adds the object
//       (an object of that name that already exists is an error, as on the server)
//   CREATE OR ALTER VIEW | PROCEDURE | FUNCTION | TRIGGER       adds or replaces it (given to DacFx as CREATE)
//   ALTER VIEW | PROCEDURE | FUNCTION | TRIGGER                 replaces an existing one
//   ALTER TABLE t ADD <columns, constraints, indexes>           \
//   ALTER TABLE t DROP [COLUMN | CONSTRAINT | INDEX] [IF EXISTS] x  > change the table's definition, which
//   ALTER TABLE t ALTER COLUMN c <type> [NULL | NOT NULL]        /  is then given to DacFx as one CREATE TABLE
//   DROP TABLE | VIEW | PROCEDURE | FUNCTION | TRIGGER | SEQUENCE | SCHEMA [IF EXISTS]; DROP INDEX i ON t
//       removes it (a table or view takes its indexes and triggers with it)
//   EXEC (N'...')          the literal text is applied by the same rules (how a CREATE VIEW gets guarded)
//   IF <guard> s [ELSE s]  the guard is evaluated against the schema so far, and the branch it picks is
//       applied. Guards understood: OBJECT_ID(N'name'[, N'type']) IS [NOT] NULL, COL_LENGTH(N't', N'c')
//       IS [NOT] NULL, SCHEMA_ID(N's') IS [NOT] NULL, [NOT] EXISTS (SELECT ... FROM sys.indexes WHERE name = N'i' AND object_id =
//       OBJECT_ID(N't')), combined with NOT, AND, OR and parentheses.
//   BEGIN ... END          each statement in it
//   SET <option>, PRINT    no effect on the schema, skipped
// Anything else (DML such as a backfill UPDATE, GRANT, sp_rename, CREATE TYPE, ...) is reported as
// unsupported, so the model never silently misses a change: extend this file when a migration needs it.
//
// Idempotency: each migration is also run again after every batch boundary (what `leadscore migrate`
// does after an interruption: it resends the whole file); the rerun must not fail and must leave the
// same schema.

using System.Collections.Immutable;
using System.Text;
using Microsoft.SqlServer.TransactSql.ScriptDom;

/// <summary>Where line 1, column 1 of a text lies: in the file <see cref="Where"/> or, with
/// <see cref="Outer"/>, in an outer text (a string literal's contents inside the file).</summary>
sealed record Place(string Where, int Line, int Column, Place? Outer = null)
{
    public (int Line, int Column)? Map(int line, int column)
    {
        var l = Line + line - 1;
        var c = line == 1 ? Column + column - 1 : column;
        if (l < 1) return null;
        return Outer == null ? (l, c) : Outer.Map(l, c);
    }

    /// <summary>`file:line:column`, or just the file when the position falls outside it.</summary>
    public string At(int line, int column)
    {
        var p = Map(line, column);
        return p == null ? Where : $"{Where}:{p.Value.Line}:{p.Value.Column}";
    }

    public string At(TSqlFragment f) => At(f.StartLine, f.StartColumn);
}

enum ObjectKind { Table, View, Procedure, Function, Trigger, Index, Schema, Sequence }

/// <summary>A table's columns, constraints and inline indexes as the migrations left them, and for each
/// the statement it came from (to report a problem in it there).</summary>
sealed record TableShape(
    ImmutableList<ColumnDefinition> Columns,
    ImmutableList<ConstraintDefinition> Constraints,
    ImmutableList<IndexDefinition> Indexes,
    bool Altered,
    ImmutableDictionary<TSqlFragment, (TSqlFragment Source, Place Script)> Origins)
{
    public TableShape From(IEnumerable<TSqlFragment> parts, TSqlFragment source, Place script) =>
        this with { Origins = Origins.SetItems(parts.Select(x => KeyValuePair.Create(x, (source, script)))) };

    public IEnumerable<(TSqlFragment Source, Place Script)> Parts =>
        Columns.Cast<TSqlFragment>().Concat(Constraints).Concat(Indexes).Select(x => Origins.TryGetValue(x, out var o) ? o : default).Where(o => o.Source != null);
}

/// <summary>One object of the schema: the statement that defined it, where, and for tables the shape.</summary>
sealed record SchemaObject(ObjectKind Kind, string Name, TSqlStatement Definition, Place Place, string? Parent, TableShape? Table);

sealed record Problem(string At, string Message);

sealed class SchemaBuilder
{
    public OrderedDictionary<string, SchemaObject> Objects { get; private set; } = new(StringComparer.OrdinalIgnoreCase);
    private List<Problem> problems = new();

    /// <summary>Applies one migration (its batches in order); returns what went wrong, empty when nothing.</summary>
    public List<Problem> Apply(TSqlScript script, Place file) => Apply(script.Batches, file);

    private List<Problem> Apply(IEnumerable<TSqlBatch> batches, Place file)
    {
        problems = new List<Problem>();
        foreach (var batch in batches)
            foreach (var st in batch.Statements)
                Statement(st, file);
        return problems;
    }

    /// <summary>Runs the migration again from every point an interrupted run could have stopped at (after
    /// each batch), and reports what fails or changes the schema compared with one clean run.</summary>
    public List<Problem> CheckRerun(TSqlScript script, Place file, OrderedDictionary<string, SchemaObject> before)
    {
        var after = Objects;
        var found = new List<Problem>();
        var seen = new HashSet<string>();
        var batches = script.Batches;
        for (var k = 1; k <= batches.Count; k++)
        {
            var rerun = new SchemaBuilder { Objects = new OrderedDictionary<string, SchemaObject>(before, StringComparer.OrdinalIgnoreCase) };
            rerun.Apply(batches.Take(k), file);
            var how = k == batches.Count ? "run again after a complete run that was not recorded" : $"run again after an interruption following batch {k} of {batches.Count}";
            foreach (var p in rerun.Apply(batches, file))
                if (seen.Add(p.At + p.Message))
                    found.Add(new Problem(p.At, $"not idempotent ({how}, as `leadscore migrate` does): {p.Message}"));
            foreach (var diff in Differences(after, rerun.Objects))
                if (seen.Add(diff))
                    found.Add(new Problem(file.Where, $"not idempotent ({how}): {diff}"));
        }
        Objects = after;
        return found;
    }

    private static IEnumerable<string> Differences(OrderedDictionary<string, SchemaObject> once, OrderedDictionary<string, SchemaObject> twice)
    {
        foreach (var (key, a) in once)
        {
            if (!twice.TryGetValue(key, out var b)) yield return $"{a.Name} is gone after the second run";
            else if (!Same(a, b)) yield return $"{a.Name} is defined differently after the second run";
        }
        foreach (var (key, b) in twice)
            if (!once.ContainsKey(key)) yield return $"{b.Name} exists only after the second run";
    }

    /// <summary>The same definition: the same statement or, for a table, the same generated CREATE TABLE
    /// (ALTER TABLE makes new column definitions each time it runs).</summary>
    private static bool Same(SchemaObject a, SchemaObject b) =>
        a.Kind == b.Kind && (a.Table != null ? Declaration(a, generate: true).Text == Declaration(b, generate: true).Text : ReferenceEquals(a.Definition, b.Definition));

    public int Count(ObjectKind kind) => Objects.Values.Count(o => o.Kind == kind);

    // ------------------------------------------------------------------------------ statements --

    private void Problem(Place p, TSqlFragment at, string message) => problems.Add(new Problem(p.At(at), message));

    private void Statement(TSqlStatement st, Place p)
    {
        switch (st)
        {
            case CreateTableStatement t:
                if (Name(t.SchemaObjectName, p, t) is { } tn)
                {
                    var d = t.Definition;
                    var parts = d.ColumnDefinitions.Cast<TSqlFragment>().Concat(d.TableConstraints).Concat(d.Indexes);
                    var shape = new TableShape(d.ColumnDefinitions.ToImmutableList(), d.TableConstraints.ToImmutableList(), d.Indexes.ToImmutableList(), false,
                        parts.ToImmutableDictionary(x => x, x => (x, p), (IEqualityComparer<TSqlFragment>)ReferenceEqualityComparer.Instance));
                    Create(new SchemaObject(ObjectKind.Table, tn, t, p, null, shape), p, t);
                }
                break;
            case ViewStatementBody v:
                Define(ObjectKind.View, v.SchemaObjectName, v, p, null, v is CreateOrAlterViewStatement, v is AlterViewStatement);
                break;
            case ProcedureStatementBody pr when pr is CreateProcedureStatement or CreateOrAlterProcedureStatement or AlterProcedureStatement:
                Define(ObjectKind.Procedure, pr.ProcedureReference.Name, pr, p, null, pr is CreateOrAlterProcedureStatement, pr is AlterProcedureStatement);
                break;
            case FunctionStatementBody f when f is CreateFunctionStatement or CreateOrAlterFunctionStatement or AlterFunctionStatement:
                Define(ObjectKind.Function, f.Name, f, p, null, f is CreateOrAlterFunctionStatement, f is AlterFunctionStatement);
                break;
            case TriggerStatementBody tr when tr.TriggerObject.TriggerScope == TriggerScope.Normal:
                if (Name(tr.TriggerObject.Name, p, tr) is { } on)
                {
                    if (!Objects.TryGetValue(on, out var target) || target.Kind is not (ObjectKind.Table or ObjectKind.View))
                        Problem(p, tr, $"trigger {tr.Name.BaseIdentifier.Value} is on {on}, which is not a table or view of the schema so far");
                    else
                        Define(ObjectKind.Trigger, tr.Name, tr, p, on, tr is CreateOrAlterTriggerStatement, tr is AlterTriggerStatement);
                }
                break;
            case CreateIndexStatement ix:
                if (Name(ix.OnName, p, ix) is { } table)
                {
                    if (!Objects.TryGetValue(table, out var target) || target.Kind is not (ObjectKind.Table or ObjectKind.View))
                        Problem(p, ix, $"CREATE INDEX {ix.Name.Value} ON {table}: no such table or view in the schema so far");
                    else if (IndexExists(table, ix.Name.Value))
                        Problem(p, ix, $"CREATE INDEX: {table} already has an index named {ix.Name.Value}");
                    else
                        Objects[IndexKey(table, ix.Name.Value)] = new SchemaObject(ObjectKind.Index, $"{table}.{ix.Name.Value}", ix, p, table, null);
                }
                break;
            case CreateSchemaStatement s:
                if (s.StatementList?.Statements.Count > 0) Unsupported(st, p, "CREATE SCHEMA with statements inside it");
                else Create(new SchemaObject(ObjectKind.Schema, s.Name.Value, s, p, null, null), p, s, SchemaKey(s.Name.Value));
                break;
            case CreateSequenceStatement sq:
                if (Name(sq.Name, p, sq) is { } sn) Create(new SchemaObject(ObjectKind.Sequence, sn, sq, p, null, null), p, sq);
                break;
            case AlterTableAddTableElementStatement or AlterTableDropTableElementStatement or AlterTableAlterColumnStatement:
                AlterTable((AlterTableStatement)st, p);
                break;
            case DropObjectsStatement drop:
                Drop(drop, p);
                break;
            case DropIndexStatement di:
                foreach (var clause in di.DropIndexClauses)
                {
                    if (clause is not DropIndexClause c) { Unsupported(st, p, "DROP INDEX table.index (use DROP INDEX index ON table)"); continue; }
                    if (Name(c.Object, p, di) is not { } indexed) continue;
                    if (Objects.Remove(IndexKey(indexed, c.Index.Value))) continue;
                    if (Objects.TryGetValue(indexed, out var holder) && holder.Table is { } held && held.Indexes.FirstOrDefault(i => Eq(i.Name?.Value, c.Index.Value)) is { } inline)
                        Objects[indexed] = holder with { Table = held with { Indexes = held.Indexes.Remove(inline), Altered = true } };
                    else if (!di.IsIfExists) Problem(p, di, $"DROP INDEX {c.Index.Value} ON {indexed}: no such index in the schema so far");
                }
                break;
            case DropSchemaStatement ds:
                var schema = ds.Schema.BaseIdentifier.Value;
                if (!Objects.ContainsKey(SchemaKey(schema))) { if (!ds.IsIfExists) Problem(p, ds, $"DROP SCHEMA {schema}: no such schema in the schema so far"); }
                else if (Objects.Values.FirstOrDefault(o => o.Kind != ObjectKind.Schema && o.Name.StartsWith(schema + ".", StringComparison.OrdinalIgnoreCase)) is { } left)
                    Problem(p, ds, $"DROP SCHEMA {schema}: it still holds {left.Name}");
                else Objects.Remove(SchemaKey(schema));
                break;
            case ExecuteStatement exec:
                Execute(exec, p);
                break;
            case IfStatement cond:
                var which = Guard(cond.Predicate, p);
                if (which == true) Statement(cond.ThenStatement, p);
                else if (which == false && cond.ElseStatement != null) Statement(cond.ElseStatement, p);
                break;
            case BeginEndBlockStatement block:
                foreach (var inner in block.StatementList.Statements) Statement(inner, p);
                break;
            case PredicateSetStatement or SetTransactionIsolationLevelStatement or PrintStatement:
                break; // session options and messages: no effect on the schema
            default:
                Unsupported(st, p, null);
                break;
        }
    }

    private void Unsupported(TSqlStatement st, Place p, string? what) =>
        Problem(p, st, $"{what ?? $"{FirstWord(st)} ({st.GetType().Name})"} is not supported by the migration model builder " +
            "(tools/infra-check/Schema.cs lists what is); extend it rather than leave the model without this change");

    private static string FirstWord(TSqlFragment f) =>
        f.ScriptTokenStream?.Skip(f.FirstTokenIndex).Take(f.LastTokenIndex - f.FirstTokenIndex + 1)
            .FirstOrDefault(t => t.TokenType is not (TSqlTokenType.WhiteSpace or TSqlTokenType.SingleLineComment or TSqlTokenType.MultilineComment))?.Text.ToUpperInvariant() ?? "this statement";

    /// <summary>CREATE, CREATE OR ALTER or ALTER of a view, procedure, function or trigger.</summary>
    private void Define(ObjectKind kind, SchemaObjectName name, TSqlStatement st, Place p, string? parent, bool createOrAlter, bool alter)
    {
        if (Name(name, p, st) is not { } n) return;
        var obj = new SchemaObject(kind, n, st, p, parent, null);
        if (!createOrAlter && !alter) { Create(obj, p, st); return; }
        if (Objects.TryGetValue(n, out var old))
        {
            if (old.Kind != kind) Problem(p, st, $"{n} is a {old.Kind.ToString().ToLowerInvariant()} (defined at {old.Place.At(old.Definition)}), not a {kind.ToString().ToLowerInvariant()}");
            else Objects[n] = obj;
        }
        else if (alter) Problem(p, st, $"ALTER {kind.ToString().ToUpperInvariant()} {n}: no such {kind.ToString().ToLowerInvariant()} in the schema so far");
        else Objects[n] = obj;
    }

    private void Create(SchemaObject obj, Place p, TSqlStatement st, string? key = null)
    {
        key ??= obj.Name;
        var existing = Objects.TryGetValue(key, out var old) ? old : obj.Kind == ObjectKind.Schema ? null : ConstraintOwner(obj.Name);
        if (existing != null)
            Problem(p, st, $"{obj.Name} already exists (defined at {existing.Place.At(existing.Definition)}): guard the CREATE or use CREATE OR ALTER");
        else Objects[key] = obj;
    }

    private void AlterTable(AlterTableStatement st, Place p)
    {
        if (Name(st.SchemaObjectName, p, st) is not { } tn) return;
        if (!Objects.TryGetValue(tn, out var table) || table.Table is not { } shape)
        {
            Problem(p, st, $"ALTER TABLE {tn}: no such table in the schema so far");
            return;
        }
        switch (st)
        {
            case AlterTableAddTableElementStatement add:
                foreach (var c in add.Definition.ColumnDefinitions)
                {
                    if (Column(shape, c.ColumnIdentifier.Value) != null) Problem(p, c, $"ALTER TABLE {tn} ADD {c.ColumnIdentifier.Value}: the column already exists");
                    else shape = (shape with { Columns = shape.Columns.Add(c) }).From([c], c, p);
                }
                foreach (var c in add.Definition.TableConstraints)
                {
                    if (c.ConstraintIdentifier is { } id && (ConstraintOwner($"{Schema(tn)}.{id.Value}") != null || Objects.ContainsKey($"{Schema(tn)}.{id.Value}")))
                        Problem(p, c, $"ALTER TABLE {tn} ADD CONSTRAINT {id.Value}: an object of that name already exists");
                    else shape = (shape with { Constraints = shape.Constraints.Add(c) }).From([c], c, p);
                }
                foreach (var i in add.Definition.Indexes)
                {
                    if (IndexExists(tn, i.Name.Value)) Problem(p, i, $"ALTER TABLE {tn} ADD INDEX {i.Name.Value}: the index already exists");
                    else shape = (shape with { Indexes = shape.Indexes.Add(i) }).From([i], i, p);
                }
                break;
            case AlterTableDropTableElementStatement drop:
                foreach (var e in drop.AlterTableDropTableElements)
                {
                    var name = e.Name.Value;
                    var before = shape;
                    switch (e.TableElementType)
                    {
                        case TableElementType.Column:
                            if (Column(shape, name) is { } col) shape = shape with { Columns = shape.Columns.Remove(col) };
                            break;
                        case TableElementType.Index:
                            if (shape.Indexes.FirstOrDefault(i => Eq(i.Name?.Value, name)) is { } ix) shape = shape with { Indexes = shape.Indexes.Remove(ix) };
                            break;
                        case TableElementType.Constraint or TableElementType.NotSpecified:
                            shape = WithoutConstraint(shape, name);
                            break;
                        default:
                            Problem(p, e, $"ALTER TABLE {tn} DROP {e.TableElementType}: not supported by the migration model builder");
                            continue;
                    }
                    if (ReferenceEquals(before, shape) && !e.IsIfExists)
                        Problem(p, e, $"ALTER TABLE {tn} DROP {(e.TableElementType == TableElementType.NotSpecified ? "CONSTRAINT" : e.TableElementType.ToString().ToUpperInvariant())} {name}: no such {(e.TableElementType == TableElementType.Column ? "column" : e.TableElementType == TableElementType.Index ? "index" : "constraint")} on the table");
                }
                break;
            case AlterTableAlterColumnStatement alter:
                var column = Column(shape, alter.ColumnIdentifier.Value);
                if (column == null) { Problem(p, alter, $"ALTER TABLE {tn} ALTER COLUMN {alter.ColumnIdentifier.Value}: no such column"); return; }
                if (alter.DataType == null || alter.AlterTableAlterColumnOption is not (AlterTableAlterColumnOption.NoOptionDefined or AlterTableAlterColumnOption.Null or AlterTableAlterColumnOption.NotNull))
                {
                    Problem(p, alter, $"ALTER TABLE {tn} ALTER COLUMN: only a new data type with NULL or NOT NULL is supported by the migration model builder");
                    return;
                }
                var changed = Fragments.Clone(column);
                changed.DataType = alter.DataType;
                if (alter.Collation != null) changed.Collation = alter.Collation;
                // As on the server: without NOT NULL the column becomes nullable.
                var keep = column.Constraints.Where(c => c is not NullableConstraintDefinition).ToList();
                changed.Constraints.Clear();
                foreach (var c in keep) changed.Constraints.Add(c);
                changed.Constraints.Add(new NullableConstraintDefinition { Nullable = alter.AlterTableAlterColumnOption != AlterTableAlterColumnOption.NotNull });
                shape = (shape with { Columns = shape.Columns.Replace(column, changed) }).From([changed], alter, p);
                break;
        }
        if (!ReferenceEquals(shape, table.Table)) Objects[tn] = table with { Table = shape with { Altered = true } };
    }

    private static TableShape WithoutConstraint(TableShape shape, string name)
    {
        if (shape.Constraints.FirstOrDefault(c => Eq(c.ConstraintIdentifier?.Value, name)) is { } tc)
            return shape with { Constraints = shape.Constraints.Remove(tc) };
        foreach (var col in shape.Columns)
        {
            if (col.DefaultConstraint is { } dc && Eq(dc.ConstraintIdentifier?.Value, name))
            {
                var c = Fragments.Clone(col);
                c.DefaultConstraint = null;
                return (shape with { Columns = shape.Columns.Replace(col, c) }).From([c], shape.Origins[col].Source, shape.Origins[col].Script);
            }
            if (col.Constraints.FirstOrDefault(k => Eq(k.ConstraintIdentifier?.Value, name)) is { } cc)
            {
                var c = Fragments.Clone(col);
                c.Constraints.Remove(cc);
                return (shape with { Columns = shape.Columns.Replace(col, c) }).From([c], shape.Origins[col].Source, shape.Origins[col].Script);
            }
        }
        return shape;
    }

    private void Drop(DropObjectsStatement drop, Place p)
    {
        ObjectKind? kind = drop switch
        {
            DropTableStatement => ObjectKind.Table,
            DropViewStatement => ObjectKind.View,
            DropProcedureStatement => ObjectKind.Procedure,
            DropFunctionStatement => ObjectKind.Function,
            DropTriggerStatement t when t.TriggerScope == TriggerScope.Normal => ObjectKind.Trigger,
            DropSequenceStatement => ObjectKind.Sequence,
            _ => null,
        };
        if (kind == null) { Unsupported(drop, p, null); return; }
        foreach (var o in drop.Objects)
        {
            if (Name(o, p, drop) is not { } n) continue;
            if (!Objects.TryGetValue(n, out var old))
            {
                if (!drop.IsIfExists) Problem(p, drop, $"DROP {kind.ToString()!.ToUpperInvariant()} {n}: no such object in the schema so far (use DROP ... IF EXISTS)");
                continue;
            }
            if (old.Kind != kind) { Problem(p, drop, $"DROP {kind.ToString()!.ToUpperInvariant()} {n}: it is a {old.Kind.ToString().ToLowerInvariant()}"); continue; }
            Objects.Remove(n);
            foreach (var child in Objects.Where(kv => Eq(kv.Value.Parent, n)).Select(kv => kv.Key).ToList()) Objects.Remove(child);
        }
    }

    private static readonly Dictionary<ExecuteStatement, (TSqlScript? Script, IList<ParseError> Errors)> ExecTexts = new(ReferenceEqualityComparer.Instance);

    private void Execute(ExecuteStatement exec, Place p)
    {
        var spec = exec.ExecuteSpecification;
        if (spec.ExecutableEntity is not ExecutableStringList list || list.Parameters.Count > 0 || spec.Variable != null || spec.LinkedServer != null ||
            spec.ExecuteContext != null || exec.Options.Count > 0 || list.Strings.Any(s => s is not StringLiteral))
        {
            Unsupported(exec, p, "EXEC of a procedure or of a string that is not a literal");
            return;
        }
        var literals = list.Strings.Cast<StringLiteral>().ToList();
        var text = string.Concat(literals.Select(l => l.Value));
        // The text's own positions map into the file through its (first) literal, after N' or '.
        var first = literals[0];
        var inner = new Place(p.Where, first.StartLine, first.StartColumn + (first.IsNational ? 2 : 1), p);
        // Parsed once per EXEC, so that running a migration again yields the very same definitions.
        if (!ExecTexts.TryGetValue(exec, out var parsed))
        {
            var parser = new TSql160Parser(initialQuotedIdentifiers: true);
            var fragment = parser.Parse(new StringReader(text), out var parseErrors);
            ExecTexts[exec] = parsed = (fragment as TSqlScript, parseErrors);
        }
        var (script, errors) = parsed;
        foreach (var e in errors) problems.Add(new Problem(inner.At(e.Line, e.Column), $"in the EXEC text: SQL{e.Number}: {e.Message}"));
        if (errors.Count > 0 || script == null) return;
        if (script.Batches.Count > 1) { Problem(p, exec, "the EXEC text holds a GO separator, which the server rejects"); return; }
        foreach (var batch in script.Batches)
            foreach (var st in batch.Statements)
                Statement(st, inner);
    }

    // ---------------------------------------------------------------------------------- guards --

    /// <summary>The guard's value against the schema so far; null (and a problem) when not understood.</summary>
    private bool? Guard(BooleanExpression e, Place p)
    {
        var reported = problems.Count;
        switch (e)
        {
            case BooleanParenthesisExpression paren:
                return Guard(paren.Expression, p);
            case BooleanNotExpression not:
                return !Guard(not.Expression, p);
            case BooleanBinaryExpression bin:
                var l = Guard(bin.FirstExpression, p);
                var r = Guard(bin.SecondExpression, p);
                if (l == null || r == null) return null;
                return bin.BinaryExpressionType == BooleanBinaryExpressionType.And ? l.Value && r.Value : l.Value || r.Value;
            case BooleanIsNullExpression isNull when isNull.Expression is FunctionCall call:
                var exists = call.FunctionName.Value.ToUpperInvariant() switch
                {
                    "OBJECT_ID" => ObjectIdExists(call, p),
                    "COL_LENGTH" => ColumnExists(call, p),
                    "SCHEMA_ID" => SchemaExists(call),
                    _ => null,
                };
                if (exists == null) break;
                return isNull.IsNot ? exists : !exists;
            case ExistsPredicate ex:
                if (IndexExistsQuery(ex, p) is { } found) return found;
                break;
        }
        if (problems.Count == reported)
            Problem(p, e, "guard not understood by the migration model builder: use OBJECT_ID(N'name'[, N'type']) IS [NOT] NULL, " +
                "COL_LENGTH(N'table', N'column') IS [NOT] NULL, SCHEMA_ID(N'schema') IS [NOT] NULL or [NOT] EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'index' AND object_id = OBJECT_ID(N'table'))");
        return null;
    }

    private string? LiteralName(ScalarExpression? arg, Place p)
    {
        if (arg is not StringLiteral s) return null;
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        var name = parser.ParseSchemaObjectName(new StringReader(s.Value), out var errors);
        if (errors.Count > 0 || name == null) return null;
        return Name(name, p, arg);
    }

    private bool? ObjectIdExists(FunctionCall call, Place p)
    {
        if (call.Parameters.Count is < 1 or > 2 || LiteralName(call.Parameters[0], p) is not { } name) return null;
        string? type = null;
        if (call.Parameters.Count == 2)
        {
            if (call.Parameters[1] is not StringLiteral t) return null;
            type = t.Value.Trim().ToUpperInvariant();
        }
        ObjectKind[]? kinds = type switch
        {
            null => null,
            "U" => [ObjectKind.Table],
            "V" => [ObjectKind.View],
            "P" => [ObjectKind.Procedure],
            "FN" or "IF" or "TF" => [ObjectKind.Function],
            "TR" => [ObjectKind.Trigger],
            "SO" => [ObjectKind.Sequence],
            "PK" or "UQ" or "F" or "C" or "D" => [],
            _ => [(ObjectKind)(-1)],
        };
        if (kinds is [(ObjectKind)(-1)])
        {
            Problem(p, call, $"OBJECT_ID type '{type}' is not one the migration model builder knows (U, V, P, FN, IF, TF, TR, SO, PK, UQ, F, C, D)");
            return null;
        }
        if (Objects.TryGetValue(name, out var o) && o.Kind is not (ObjectKind.Index or ObjectKind.Schema) && (kinds == null || kinds.Contains(o.Kind))) return true;
        return (kinds == null || kinds.Length == 0) && ConstraintOwner(name) != null;
    }

    private static readonly string[] BuiltInSchemas = ["dbo", "sys", "guest", "INFORMATION_SCHEMA"];

    private bool? SchemaExists(FunctionCall call)
    {
        if (call.Parameters is not [StringLiteral name]) return null;
        var schema = name.Value.Trim().Trim('[', ']');
        return BuiltInSchemas.Contains(schema, StringComparer.OrdinalIgnoreCase) || Objects.ContainsKey(SchemaKey(schema));
    }

    private bool? ColumnExists(FunctionCall call, Place p)
    {
        if (call.Parameters.Count != 2 || LiteralName(call.Parameters[0], p) is not { } table || call.Parameters[1] is not StringLiteral column) return null;
        if (!Objects.TryGetValue(table, out var t)) return false;
        if (t.Table == null) { Problem(p, call, $"COL_LENGTH on {table}, a {t.Kind.ToString().ToLowerInvariant()}: the migration model builder knows the columns of tables only"); return null; }
        return Column(t.Table, column.Value) != null;
    }

    /// <summary>EXISTS (SELECT ... FROM sys.indexes WHERE name = N'i' AND object_id = OBJECT_ID(N't')).</summary>
    private bool? IndexExistsQuery(ExistsPredicate ex, Place p)
    {
        if (ex.Subquery.QueryExpression is not QuerySpecification q || q.FromClause?.TableReferences is not [NamedTableReference from] ||
            !Eq(from.SchemaObject.SchemaIdentifier?.Value, "sys") || !Eq(from.SchemaObject.BaseIdentifier.Value, "indexes") || q.WhereClause?.SearchCondition is not { } where)
            return null;
        var equal = new Dictionary<string, ScalarExpression>(StringComparer.OrdinalIgnoreCase);
        var parts = new Stack<BooleanExpression>([where]);
        while (parts.Count > 0)
        {
            switch (parts.Pop())
            {
                case BooleanParenthesisExpression paren: parts.Push(paren.Expression); break;
                case BooleanBinaryExpression { BinaryExpressionType: BooleanBinaryExpressionType.And } and: parts.Push(and.FirstExpression); parts.Push(and.SecondExpression); break;
                case BooleanComparisonExpression { ComparisonType: BooleanComparisonType.Equals } eq:
                    if (eq.FirstExpression is ColumnReferenceExpression c1) equal[c1.MultiPartIdentifier.Identifiers[^1].Value] = eq.SecondExpression;
                    else if (eq.SecondExpression is ColumnReferenceExpression c2) equal[c2.MultiPartIdentifier.Identifiers[^1].Value] = eq.FirstExpression;
                    else return null;
                    break;
                default: return null;
            }
        }
        if (equal.Count != 2 || !equal.TryGetValue("name", out var ixName) || ixName is not StringLiteral ix ||
            !equal.TryGetValue("object_id", out var objId) || objId is not FunctionCall { Parameters.Count: 1 } oid || !Eq(oid.FunctionName.Value, "OBJECT_ID") ||
            LiteralName(oid.Parameters[0], p) is not { } table)
            return null;
        return IndexExists(table, ix.Value);
    }

    // ---------------------------------------------------------------------------------- lookups --

    private static bool Eq(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    private static string Schema(string twoPart) => twoPart[..twoPart.IndexOf('.')];
    private static string IndexKey(string table, string index) => $"{table}.{index}";
    private static string SchemaKey(string schema) => $"schema {schema}";
    private static ColumnDefinition? Column(TableShape t, string name) => t.Columns.FirstOrDefault(c => Eq(c.ColumnIdentifier.Value, name));

    /// <summary>`schema.name`, dbo when no schema is given; null (and a problem) for a name in another database.</summary>
    private string? Name(SchemaObjectName n, Place p, TSqlFragment at)
    {
        if (n.ServerIdentifier != null || n.DatabaseIdentifier != null)
        {
            Problem(p, at, $"{string.Join(".", n.Identifiers.Select(i => i.Value))}: names in another database are not supported by the migration model builder");
            return null;
        }
        return $"{n.SchemaIdentifier?.Value ?? "dbo"}.{n.BaseIdentifier.Value}";
    }

    private bool IndexExists(string table, string index)
    {
        if (Objects.ContainsKey(IndexKey(table, index))) return true;
        if (!Objects.TryGetValue(table, out var t) || t.Table is not { } shape) return false;
        // Inline indexes, and the indexes behind PRIMARY KEY and UNIQUE constraints (in sys.indexes too).
        return shape.Indexes.Any(i => Eq(i.Name?.Value, index)) ||
            Constraints(shape).Any(c => c is UniqueConstraintDefinition && Eq(c.ConstraintIdentifier?.Value, index));
    }

    private static IEnumerable<ConstraintDefinition> Constraints(TableShape t) =>
        t.Constraints.Concat(t.Columns.SelectMany(c => c.Constraints.Concat(c.DefaultConstraint is { } d ? [d] : Array.Empty<ConstraintDefinition>())));

    /// <summary>The table holding a constraint named `schema.name` (constraints are schema-scoped objects).</summary>
    private SchemaObject? ConstraintOwner(string twoPart)
    {
        var dot = twoPart.IndexOf('.');
        var (schema, name) = (twoPart[..dot], twoPart[(dot + 1)..]);
        return Objects.Values.FirstOrDefault(o => o.Table is { } t && Eq(Schema(o.Name), schema) && Constraints(t).Any(c => Eq(c.ConstraintIdentifier?.Value, name)));
    }

    // ----------------------------------------------------------------------------------- output --

    /// <summary>The object as one declarative CREATE for DacFx: the text as written in the migration
    /// (CREATE OR ALTER and ALTER rewritten to CREATE) or, for a table that ALTER TABLE changed, its
    /// definition generated anew. Generated = false means the text's positions map back through Place.</summary>
    public static (string Text, bool Generated) Declaration(SchemaObject o, bool generate = false)
    {
        if (o.Table is { } shape && (shape.Altered || generate))
        {
            var original = (CreateTableStatement)o.Definition;
            var table = Fragments.Clone(original);
            var definition = Fragments.Clone(original.Definition);
            definition.ColumnDefinitions.Clear();
            definition.TableConstraints.Clear();
            definition.Indexes.Clear();
            foreach (var c in shape.Columns) definition.ColumnDefinitions.Add(c);
            foreach (var c in shape.Constraints) definition.TableConstraints.Add(c);
            foreach (var i in shape.Indexes) definition.Indexes.Add(i);
            table.Definition = definition;
            new Sql160ScriptGenerator(new SqlScriptGeneratorOptions { IncludeSemicolons = true }).GenerateScript(table, out var script);
            return (script, true);
        }
        return (CreateText(o.Definition), false);
    }

    /// <summary>The fragment's own text; a leading `CREATE OR ALTER` keeps its length (OR ALTER blanked)
    /// so positions stay as in the file, a leading `ALTER` becomes `CREATE`.</summary>
    private static string CreateText(TSqlFragment f)
    {
        var sb = new StringBuilder();
        var keywords = new List<TSqlTokenType>(); // the first three significant tokens
        for (var i = f.FirstTokenIndex; i <= f.LastTokenIndex; i++)
        {
            var t = f.ScriptTokenStream[i];
            var trivia = t.TokenType is TSqlTokenType.WhiteSpace or TSqlTokenType.SingleLineComment or TSqlTokenType.MultilineComment;
            if (!trivia && keywords.Count < 3)
            {
                keywords.Add(t.TokenType);
                if (keywords is [TSqlTokenType.Alter]) { sb.Append("CREATE"); continue; }
                if (keywords is [TSqlTokenType.Create, TSqlTokenType.Or] or [TSqlTokenType.Create, TSqlTokenType.Or, TSqlTokenType.Alter])
                {
                    sb.Append(' ', t.Text.Length);
                    continue;
                }
            }
            sb.Append(t.Text);
        }
        return sb.ToString();
    }
}

static class Fragments
{
    /// <summary>A shallow copy of a ScriptDom fragment: the same child fragments in new lists, so the
    /// copy can be changed without changing the parsed migration it came from.</summary>
    public static T Clone<T>(T fragment) where T : TSqlFragment
    {
        var type = fragment.GetType();
        var copy = (T)Activator.CreateInstance(type)!;
        foreach (var prop in type.GetProperties())
        {
            if (prop.GetIndexParameters().Length > 0 || prop.DeclaringType == typeof(TSqlFragment)) continue; // positions and tokens stay unset
            if (prop.CanWrite) prop.SetValue(copy, prop.GetValue(fragment));
            else if (typeof(System.Collections.IList).IsAssignableFrom(prop.PropertyType) &&
                prop.GetValue(fragment) is System.Collections.IList from && prop.GetValue(copy) is System.Collections.IList to && !ReferenceEquals(from, to))
                foreach (var item in from) to.Add(item);
        }
        return copy;
    }
}
