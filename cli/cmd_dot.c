/*
 * stepdeploy dot DEFINITION [--path FILE]
 *
 * Prints the state machine as a Graphviz DOT digraph: a node per state,
 * shaped and coloured by type; edges for Next, Choice rules (labelled with
 * a short text of the rule), Default, Catch (dashed, the error names) and
 * Retry (a dotted self-loop); a start marker before StartAt and an end
 * marker after End, Succeed and Fail states. Parallel branches and Map
 * item processors are clusters, nested to any depth, each with its own
 * start and end markers.
 *
 * Node ids are the scope and the state name: "Name" at the top,
 * "Par/0/Name" in the first branch of Par, "Map/items/Name" in Map's item
 * processor; in names '^', '%', '/', '"', '\' and control bytes are
 * written ^XX, so ids are unique and need no escaping (and none starts
 * with '%', which Graphviz keeps for its anonymous names). The markers
 * are SCOPE "^start" and SCOPE "^end" (no state's id can be those).
 *
 * --path FILE reads what `stepdeploy exec --path` printed ({"status",
 * "path": [state names entered, in order], ...}) and highlights the
 * states entered and the edges between consecutive ones (a state inside
 * a branch only when its Parallel or Map was entered too); the last state
 * entered is filled by the status (SUCCEEDED green, FAILED red, else
 * orange).
 *
 * Exit 0, or 2 for bad usage, an invalid definition or a --path file that
 * cannot be read or is not in exec's shape.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sd_buf.h"
#include "sd_json.h"
#include "step.h"

/* Rule and error-list labels are cut to this many characters. */
#define DOT_LABEL_MAX	60
/* Bound on And/Or/Not nesting walked for a rule's label. */
#define DOT_RULE_DEPTH	16

#define C_VISITED	"#1f4e79"
#define C_SUCCEEDED	"#7ccd7c"
#define C_FAILED	"#ff7f7f"
#define C_OTHER		"#ffb347"

struct dot {
	struct sd_buf	 out;
	json_t		*visited;	/* set of names entered (new) */
	json_t		*pairs;		/* set of "enc(a)/enc(b)" consecutive */
	const char	*last;		/* the last state entered (borrowed) */
	const char	*status;	/* the run's status (borrowed) */
	int		 with_path;
};

static void
dot_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy dot DEFINITION [--path FILE]\n"
	    "\n"
	    "Prints the state machine in DEFINITION (a file, - for stdin) as a\n"
	    "Graphviz DOT digraph on stdout (render it with 'dot -Tsvg'): a node\n"
	    "per state, shaped and coloured by type; edges for Next, Choice rules\n"
	    "(labelled with the rule), Default, Catch (dashed, the error names)\n"
	    "and Retry (a dotted self-loop with the error names and MaxAttempts);\n"
	    "Parallel branches and Map item processors as nested clusters.\n"
	    "--path FILE takes the JSON 'stepdeploy exec --path' printed and\n"
	    "highlights the states and edges the run took, the last state\n"
	    "filled by the run's status (SUCCEEDED green, FAILED red).\n"
	    "Exit 0, 2 bad usage, an invalid definition or --path file.\n");
}

/* The part of a name that goes into an id: ^XX for the awkward bytes. */
static void
put_enc(struct sd_buf *b, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '^' || *p == '%' || *p == '/' || *p == '"' ||
		    *p == '\\' || *p < 0x20 || *p == 0x7f)
			(void)sd_buf_printf(b, "^%02X", *p);
		else
			(void)sd_buf_putc(b, (char)*p);
	}
}

/* A new id: scope followed by the encoded name (or the raw suffix). */
static char *
make_id(const char *scope, const char *name, const char *raw)
{
	struct sd_buf b;

	sd_buf_init(&b, 0);
	(void)sd_buf_puts(&b, scope);
	if (name != NULL)
		put_enc(&b, name);
	if (raw != NULL)
		(void)sd_buf_puts(&b, raw);
	if (b.data == NULL)
		(void)sd_buf_puts(&b, "");
	return sd_buf_steal(&b);
}

/*
 * s as the inside of a DOT quoted string for a label: '"' and '\' escaped,
 * newlines as \n, other control bytes as spaces. max > 0 cuts after max
 * characters (UTF-8 sequences kept whole) and adds an ellipsis.
 */
static void
put_label(struct sd_buf *b, const char *s, size_t max)
{
	const unsigned char *p;
	size_t n = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80) {
			if (max > 0 && n == max) {
				(void)sd_buf_puts(b, "\xe2\x80\xa6");
				return;
			}
			n++;
		}
		if (*p == '"' || *p == '\\') {
			(void)sd_buf_putc(b, '\\');
			(void)sd_buf_putc(b, (char)*p);
		} else if (*p == '\n')
			(void)sd_buf_puts(b, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			(void)sd_buf_putc(b, ' ');
		else
			(void)sd_buf_putc(b, (char)*p);
	}
}

static int
in_set(json_t *set, const char *key)
{
	return set != NULL && json_object_get(set, key) != NULL;
}

static int
visited(const struct dot *d, int active, const char *name)
{
	return d->with_path && active && in_set(d->visited, name);
}

/* Whether b was entered right after a (and the scope was active). */
static int
taken(const struct dot *d, int active, const char *a, const char *b)
{
	struct sd_buf k;
	int r;

	if (!d->with_path || !active)
		return 0;
	sd_buf_init(&k, 0);
	put_enc(&k, a);
	(void)sd_buf_putc(&k, '/');
	put_enc(&k, b);
	r = k.failed ? 0 : in_set(d->pairs, k.data);
	sd_buf_release(&k);
	return r;
}

/* One edge; label (may be NULL) is cut at DOT_LABEL_MAX unless whole. */
static void
edge(struct dot *d, const char *from, const char *to, const char *label,
    const char *attrs, int hot)
{
	struct sd_buf *b = &d->out;

	(void)sd_buf_printf(b, "\t\"%s\" -> \"%s\"", from, to);
	if (label == NULL && attrs == NULL && !hot) {
		(void)sd_buf_puts(b, ";\n");
		return;
	}
	(void)sd_buf_puts(b, " [");
	if (label != NULL) {
		(void)sd_buf_puts(b, "label=\"");
		put_label(b, label, DOT_LABEL_MAX);
		(void)sd_buf_putc(b, '"');
	}
	if (attrs != NULL)
		(void)sd_buf_printf(b, "%s%s", label != NULL ? ", " : "", attrs);
	if (hot)
		(void)sd_buf_printf(b, "%scolor=\"" C_VISITED "\", "
		    "penwidth=2.5", label != NULL || attrs != NULL ? ", " : "");
	(void)sd_buf_puts(b, "];\n");
}

/* The JSON text of v, as one line (strings quoted). */
static void
put_value(struct sd_buf *b, json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	if (s == NULL) {
		(void)sd_buf_puts(b, "?");
		return;
	}
	(void)sd_buf_puts(b, s);
	free(s);
}

/* A JSONPath rule as text: "$.x NumericGreaterThan 10", "A And B", ... */
static void
rule_text(struct sd_buf *b, json_t *rule, int depth)
{
	static const char *const skip[] = { "Variable", "Next", "Comment",
	    "Assign", "Output", NULL };
	const char *k, *op = NULL, *var;
	json_t *v, *val = NULL, *c;
	size_t i, j;

	if (depth > DOT_RULE_DEPTH) {
		(void)sd_buf_puts(b, "\xe2\x80\xa6");
		return;
	}
	if ((v = json_object_get(rule, "And")) != NULL ||
	    (v = json_object_get(rule, "Or")) != NULL) {
		op = json_object_get(rule, "And") != NULL ? " And " : " Or ";
		json_array_foreach(v, i, c) {
			int compound = json_object_get(c, "And") != NULL ||
			    json_object_get(c, "Or") != NULL;

			if (i > 0)
				(void)sd_buf_puts(b, op);
			if (compound)
				(void)sd_buf_putc(b, '(');
			rule_text(b, c, depth + 1);
			if (compound)
				(void)sd_buf_putc(b, ')');
		}
		return;
	}
	if ((v = json_object_get(rule, "Not")) != NULL) {
		(void)sd_buf_puts(b, "Not (");
		rule_text(b, v, depth + 1);
		(void)sd_buf_putc(b, ')');
		return;
	}
	if ((v = json_object_get(rule, "Condition")) != NULL &&
	    json_is_string(v)) {
		/* JSONata: the expression inside {% %}, trimmed. */
		const char *s = json_string_value(v), *e;
		size_t n = strlen(s);

		if (n >= 4 && strncmp(s, "{%", 2) == 0 &&
		    strcmp(s + n - 2, "%}") == 0) {
			e = s + n - 2;
			s += 2;
			while (s < e && (*s == ' ' || *s == '\t' || *s == '\n'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
			    e[-1] == '\n'))
				e--;
			(void)sd_buf_append(b, s, (size_t)(e - s));
		} else
			(void)sd_buf_puts(b, s);
		return;
	}
	json_object_foreach(rule, k, v) {
		for (j = 0; skip[j] != NULL && strcmp(skip[j], k) != 0; j++)
			;
		if (skip[j] == NULL) {
			op = k;
			val = v;
			break;
		}
	}
	var = json_string_value(json_object_get(rule, "Variable"));
	(void)sd_buf_printf(b, "%s %s ", var != NULL ? var : "?",
	    op != NULL ? op : "?");
	if (val == NULL)
		(void)sd_buf_puts(b, "?");
	else if (json_is_string(val) && strlen(op) > 4 &&
	    strcmp(op + strlen(op) - 4, "Path") == 0)
		(void)sd_buf_puts(b, json_string_value(val));
	else
		put_value(b, val);
}

static const char *
state_type(json_t *st)
{
	const char *t = json_string_value(json_object_get(st, "Type"));

	return t != NULL ? t : "?";
}

/* Shape and fill by type. */
static const char *
type_attrs(const char *t, const char **fill)
{
	static const struct {
		const char	*type, *attrs, *fill;
	} tab[] = {
		{ "Task", "shape=box, style=\"rounded,filled\"", "#dae8fc" },
		{ "TaskFn", "shape=box, style=\"rounded,filled\"", "#dae8fc" },
		{ "Pass", "shape=box, style=filled", "#eeeeee" },
		{ "Choice", "shape=diamond, style=filled", "#fff2cc" },
		{ "Wait", "shape=octagon, style=filled", "#e1d5e7" },
		{ "Succeed", "shape=oval, style=filled", "#d5e8d4" },
		{ "Fail", "shape=oval, style=filled, peripheries=2", "#f8cecc" },
		{ "Parallel", "shape=box, style=filled, peripheries=2",
		    "#ffe6cc" },
		{ "Map", "shape=box3d, style=filled", "#d0e0e3" },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].type, t) == 0) {
			*fill = tab[i].fill;
			return tab[i].attrs;
		}
	*fill = "#ffffff";
	return "shape=box, style=filled";
}

static void
node(struct dot *d, const char *id, const char *name, json_t *st, int hot)
{
	struct sd_buf *b = &d->out;
	const char *t = state_type(st), *fill, *attrs = type_attrs(t, &fill);

	(void)sd_buf_printf(b, "\t\"%s\" [label=\"", id);
	put_label(b, name, 0);
	(void)sd_buf_puts(b, "\\n");
	put_label(b, t, 0);
	if (!hot) {
		(void)sd_buf_printf(b, "\", %s, fillcolor=\"%s\"];\n", attrs, fill);
		return;
	}
	if (d->last != NULL && strcmp(d->last, name) == 0)
		fill = d->status != NULL && strcmp(d->status, "SUCCEEDED") == 0 ?
		    C_SUCCEEDED : d->status != NULL &&
		    strcmp(d->status, "FAILED") == 0 ? C_FAILED : C_OTHER;
	(void)sd_buf_printf(b, "\", %s, fillcolor=\"%s\", color=\"" C_VISITED
	    "\", penwidth=3, fontname=\"Helvetica-Bold\"];\n", attrs, fill);
}

/* "A, B" of an ErrorEquals array. */
static void
error_names(struct sd_buf *b, json_t *errs)
{
	json_t *e;
	size_t i;

	json_array_foreach(errs, i, e) {
		if (i > 0)
			(void)sd_buf_puts(b, ", ");
		(void)sd_buf_puts(b, json_string_value(e) != NULL ?
		    json_string_value(e) : "?");
	}
}

static void	scope(struct dot *, const char *, json_t *, int, int);

/* The edges leaving state name (id) in scope prefix. */
static void
state_edges(struct dot *d, const char *prefix, const char *name,
    const char *id, json_t *st, int active)
{
	struct sd_buf lb;
	const char *t = state_type(st), *next;
	char *to = NULL, *end = NULL;
	json_t *v, *c;
	size_t i;
	int outer, hot;

	sd_buf_init(&lb, 0);
	/* After a Parallel or Map the path holds its children first. */
	outer = strcmp(t, "Parallel") == 0 || strcmp(t, "Map") == 0;
	if ((next = json_string_value(json_object_get(st, "Next"))) != NULL &&
	    strcmp(t, "Choice") != 0) {
		to = make_id(prefix, next, NULL);
		if (to != NULL)
			edge(d, id, to, NULL, NULL, outer ? visited(d, active,
			    name) && visited(d, active, next) :
			    taken(d, active, name, next));
		free(to);
		to = NULL;
	}
	json_array_foreach(json_object_get(st, "Choices"), i, c) {
		if ((next = json_string_value(json_object_get(c, "Next"))) == NULL)
			continue;
		sd_buf_reset(&lb);
		rule_text(&lb, c, 0);
		to = make_id(prefix, next, NULL);
		if (to != NULL && !lb.failed)
			edge(d, id, to, lb.data != NULL ? lb.data : "", NULL,
			    taken(d, active, name, next));
		free(to);
		to = NULL;
	}
	if ((next = json_string_value(json_object_get(st, "Default"))) != NULL) {
		to = make_id(prefix, next, NULL);
		if (to != NULL)
			edge(d, id, to, "Default", NULL,
			    taken(d, active, name, next));
		free(to);
		to = NULL;
	}
	json_array_foreach(json_object_get(st, "Catch"), i, c) {
		if ((next = json_string_value(json_object_get(c, "Next"))) == NULL)
			continue;
		sd_buf_reset(&lb);
		error_names(&lb, json_object_get(c, "ErrorEquals"));
		to = make_id(prefix, next, NULL);
		hot = outer ? visited(d, active, name) &&
		    visited(d, active, next) : taken(d, active, name, next);
		if (to != NULL && !lb.failed)
			edge(d, id, to, lb.data != NULL ? lb.data : "", hot ?
			    "style=dashed, fontcolor=\"#b85450\"" :
			    "style=dashed, color=\"#b85450\", fontcolor=\"#b85450\"",
			    hot);
		free(to);
		to = NULL;
	}
	json_array_foreach(json_object_get(st, "Retry"), i, c) {
		json_t *ma = json_object_get(c, "MaxAttempts");

		sd_buf_reset(&lb);
		(void)sd_buf_puts(&lb, "Retry ");
		error_names(&lb, json_object_get(c, "ErrorEquals"));
		(void)sd_buf_puts(&lb, " \xc3\x97");
		if (json_is_integer(ma))
			(void)sd_buf_printf(&lb, "%lld",
			    (long long)json_integer_value(ma));
		else if (ma != NULL)
			put_value(&lb, ma);
		else
			(void)sd_buf_puts(&lb, "3");
		hot = taken(d, active, name, name);
		if (!lb.failed)
			edge(d, id, id, lb.data, hot ? "style=dotted, "
			    "fontcolor=\"#6c8ebf\"" : "style=dotted, "
			    "color=\"#6c8ebf\", fontcolor=\"#6c8ebf\"", hot);
	}
	if ((v = json_object_get(st, "End")) == json_true() ||
	    strcmp(t, "Succeed") == 0 || strcmp(t, "Fail") == 0) {
		hot = visited(d, active, name) && !(d->last != NULL &&
		    strcmp(d->last, name) == 0 && (d->status == NULL ||
		    strcmp(d->status, "SUCCEEDED") != 0));

		if ((end = make_id(prefix, NULL, "^end")) != NULL)
			edge(d, id, end, NULL, NULL, hot);
		free(end);
	}
	sd_buf_release(&lb);
}

/* One branch or item processor: a cluster with its own markers. */
static void
sub_scope(struct dot *d, const char *id, const char *parent_name,
    const char *what, const char *label, json_t *machine, int active,
    int depth)
{
	struct sd_buf *b = &d->out;
	char *prefix = NULL, *start = NULL;

	if ((prefix = make_id(id, NULL, what)) == NULL ||
	    (start = make_id(prefix, NULL, "^start")) == NULL) {
		d->out.failed = 1;
		goto out;
	}
	(void)sd_buf_printf(b, "\tsubgraph \"cluster_%s\" {\n\tlabel=\"", prefix);
	put_label(b, parent_name, 0);
	(void)sd_buf_puts(b, ": ");
	put_label(b, label, 0);
	(void)sd_buf_puts(b, "\";\n\tstyle=\"rounded,dashed\";\n"
	    "\tcolor=\"#888888\";\n");
	scope(d, prefix, machine, active, depth + 1);
	(void)sd_buf_puts(b, "\t}\n");
	edge(d, id, start, NULL, active ? "style=bold, arrowhead=none" :
	    "style=bold, color=\"#888888\", arrowhead=none", active);
 out:
	free(prefix);
	free(start);
}

/* The states of one machine ({StartAt, States}) under prefix. */
static void
scope(struct dot *d, const char *prefix, json_t *machine, int active,
    int depth)
{
	struct sd_buf *b = &d->out;
	const char *name, *start_at, *t;
	char *id = NULL, *start = NULL, *end = NULL, *first = NULL;
	char lbuf[32], what[32];
	json_t *states, *st, *br, *proc;
	size_t i;
	int r;

	if (depth > 64) {
		d->out.failed = 1;
		return;
	}
	states = json_object_get(machine, "States");
	start_at = json_string_value(json_object_get(machine, "StartAt"));
	if ((start = make_id(prefix, NULL, "^start")) == NULL ||
	    (end = make_id(prefix, NULL, "^end")) == NULL) {
		d->out.failed = 1;
		goto out;
	}
	(void)sd_buf_printf(b, "\t\"%s\" [label=\"\", shape=circle, "
	    "style=filled, fillcolor=black, width=0.25];\n", start);
	(void)sd_buf_printf(b, "\t\"%s\" [label=\"\", shape=doublecircle, "
	    "style=filled, fillcolor=black, width=0.2];\n", end);
	if (start_at != NULL && (first = make_id(prefix, start_at, NULL)) != NULL)
		edge(d, start, first, NULL, NULL, visited(d, active, start_at));
	json_object_foreach(states, name, st) {
		free(id);
		if ((id = make_id(prefix, name, NULL)) == NULL) {
			d->out.failed = 1;
			goto out;
		}
		node(d, id, name, st, visited(d, active, name));
		t = state_type(st);
		if (strcmp(t, "Parallel") == 0) {
			json_array_foreach(json_object_get(st, "Branches"), i, br) {
				r = snprintf(lbuf, sizeof(lbuf), "branch %zu", i + 1);
				if (r < 0 || (size_t)r >= sizeof(lbuf))
					continue;
				r = snprintf(what, sizeof(what), "/%zu/", i);
				if (r < 0 || (size_t)r >= sizeof(what))
					continue;
				sub_scope(d, id, name, what, lbuf, br,
				    visited(d, active, name), depth);
			}
		} else if (strcmp(t, "Map") == 0) {
			if ((proc = json_object_get(st, "ItemProcessor")) == NULL)
				proc = json_object_get(st, "Iterator");
			if (proc != NULL)
				sub_scope(d, id, name, "/items/", "items", proc,
				    visited(d, active, name), depth);
		}
		state_edges(d, prefix, name, id, st, active);
	}
 out:
	free(id);
	free(start);
	free(end);
	free(first);
}

/* The --path file into d's sets; 0 or -1 after a message. */
static int
load_path(struct dot *d, const char *file, json_t **doc)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_buf k;
	json_t *path, *v;
	const char *prev = NULL, *s;
	size_t i;
	int rc = -1;

	sd_buf_init(&k, 0);
	if ((*doc = sd_json_load_file(file, 0, &err)) == NULL) {
		cli_usage_error("dot", "--path %s: %s", file, sd_error_text(&err));
		goto out;
	}
	path = json_object_get(*doc, "path");
	if (!json_is_object(*doc) || !json_is_array(path) ||
	    !json_is_string(json_object_get(*doc, "status"))) {
		cli_usage_error("dot", "--path %s: not what 'stepdeploy exec "
		    "--path' prints (an object with \"status\" and a \"path\" "
		    "array)", file);
		goto out;
	}
	d->status = json_string_value(json_object_get(*doc, "status"));
	if ((d->visited = json_object()) == NULL ||
	    (d->pairs = json_object()) == NULL)
		goto nomem;
	json_array_foreach(path, i, v) {
		if ((s = json_string_value(v)) == NULL) {
			cli_usage_error("dot", "--path %s: path[%zu] is not a state "
			    "name", file, i);
			goto out;
		}
		if (json_object_set_new(d->visited, s, json_true()) != 0)
			goto nomem;
		if (prev != NULL) {
			sd_buf_reset(&k);
			put_enc(&k, prev);
			(void)sd_buf_putc(&k, '/');
			put_enc(&k, s);
			if (k.failed || json_object_set_new(d->pairs, k.data,
			    json_true()) != 0)
				goto nomem;
		}
		prev = s;
	}
	d->last = prev;
	d->with_path = 1;
	rc = 0;
	goto out;
 nomem:
	cli_usage_error("dot", "out of memory");
 out:
	sd_buf_release(&k);
	sd_error_clear(&err);
	return rc;
}

int
cmd_dot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;
	struct dot d;
	json_t *def = NULL, *pathdoc = NULL;
	const char *path_file = NULL;
	int c, rc = EXIT_USAGE;

	memset(&d, 0, sizeof(d));
	sd_buf_init(&d.out, 0);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			path_file = optarg;
			break;
		case 'h':
			dot_usage(stdout);
			rc = 0;
			goto out;
		default:
			rc = cli_usage_error("dot", "unknown or incomplete option "
			    "\"%s\" (see --help)", argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc - 1) {
		rc = cli_usage_error("dot", optind >= argc ? "no DEFINITION given "
		    "(see --help)" : "unexpected argument \"%s\"",
		    argv[optind + (optind < argc)]);
		goto out;
	}
	if ((def = cli_load_definition(argv[optind], &err)) == NULL) {
		rc = cli_usage_error("dot", "%s", sd_error_text(&err));
		goto out;
	}
	if (step_machine_from_json(def, NULL, &m, &err) != 0) {
		rc = cli_usage_error("dot", "%s: invalid definition: %s",
		    argv[optind], sd_error_text(&err));
		goto out;
	}
	if (path_file != NULL && load_path(&d, path_file, &pathdoc) != 0)
		goto out;
	(void)sd_buf_puts(&d.out, "digraph \"state machine\" {\n"
	    "\tgraph [fontname=\"Helvetica\", fontsize=11];\n"
	    "\tnode [fontname=\"Helvetica\", fontsize=11];\n"
	    "\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	scope(&d, "", def, 1, 0);
	(void)sd_buf_puts(&d.out, "}\n");
	if (d.out.failed || d.out.data == NULL) {
		rc = cli_usage_error("dot", "cannot draw the graph (out of "
		    "memory, or branches nested over 64 deep)");
		goto out;
	}
	if (fwrite(d.out.data, 1, d.out.len, stdout) != d.out.len ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "stepdeploy dot: cannot write the graph\n");
		rc = 3;
		goto out;
	}
	rc = 0;
 out:
	sd_buf_release(&d.out);
	json_decref(d.visited);
	json_decref(d.pairs);
	json_decref(pathdoc);
	json_decref(def);
	sd_error_clear(&err);
	step_machine_free(m);
	return rc;
}
