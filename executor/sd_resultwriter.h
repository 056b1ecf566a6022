/*
 * sd_resultwriter: a Distributed Map's ResultWriter, as AWS documents it
 * ("ResultWriter (Map)"), over a local directory that stands for S3
 * (DIR/BUCKET/KEY is s3://BUCKET/KEY):
 *
 *   Resource + Parameters/Arguments {Bucket, Prefix}: the Map Run's results
 *   go to PREFIX/<Map Run id>/ as manifest.json, SUCCEEDED_n.json and
 *   FAILED_n.json (a new file past 5 GiB), and the state's result is
 *   {"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}; a run that
 *   failed before it started all items lists those in PENDING_n.json
 *   ({"Input", "InputDetails", "Status": "PENDING"});
 *   WriterConfig alone: the formatted results are the state's result.
 *
 * WriterConfig Transformation NONE (each child execution's record:
 * ExecutionArn, Input, Output, Status, dates...), COMPACT (the outputs),
 * FLATTEN (the outputs, arrays spliced in); failed children always keep
 * their record. OutputType JSON (an array per file) or JSONL (a value a
 * line).
 *
 * Internal to libstep.
 */
#ifndef SD_RESULTWRITER_H
#define SD_RESULTWRITER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum sd_rw_transform { SD_RW_NONE = 0, SD_RW_COMPACT, SD_RW_FLATTEN };

struct sd_result_writer {
	int			 to_s3;		/* Resource: write to S3 */
	int			 jsonl;		/* OutputType JSONL */
	enum sd_rw_transform	 transform;
};

/* PENDING: an item the run never started (it failed first). */
enum sd_rw_status { SD_RW_SUCCEEDED = 1, SD_RW_FAILED, SD_RW_PENDING };

/* One child execution of the Map Run. */
struct sd_rw_child {
	enum sd_rw_status	 status;
	json_t			*input;		/* owned */
	json_t			*output;	/* owned; SUCCEEDED */
	char			*error;		/* owned; FAILED, may be NULL */
	char			*cause;		/* owned; FAILED, may be NULL */
	int64_t			 start_ns;
	int64_t			 stop_ns;
};

/* A Map Run: its ARN and the ARNs its child executions take. */
struct sd_rw_run {
	char			*map_run_arn;	/* ...:mapRun:SM/LABEL:ID */
	char			*id;		/* the Map Run's id (a UUID) */
	char			*child_sm_arn;	/* ...:stateMachine:SM/LABEL */
	char			*child_exec;	/* ...:execution:SM/LABEL: */
	struct sd_rw_child	*children;
	size_t			 n, cap;
};

/*
 * Name the Map Run of the state state_name, entered as event entered_id,
 * in the execution exec_arn of the machine sm_arn; label may be NULL (then
 * one is derived from the machine and state). Names are derived, not
 * random: the same run gives the same names. 0, or -1 out of memory.
 */
int	 sd_rw_run_init(struct sd_rw_run *, const char *sm_arn,
	    const char *exec_arn, const char *state_name, const char *label,
	    uint64_t entered_id);
void	 sd_rw_run_free(struct sd_rw_run *);
/*
 * The most children a run records, SD_RW_MAX_CHILDREN ($STEPDEPLOY_TEST_-
 * RW_MAX_CHILDREN lowers it in SD_TESTING builds): the Map checks its
 * items against it before any child starts.
 */
#define SD_RW_MAX_CHILDREN	((size_t)1 << 26)
size_t	 sd_rw_max_children(void);

/* Append a child (steals its json and strings, even on failure). */
int	 sd_rw_run_add(struct sd_rw_run *, struct sd_rw_child *);

/*
 * The state's result for the run (*out new). With export, params (the
 * evaluated Parameters / Arguments) name the Bucket and Prefix and the
 * files are written below s3_dir. On failure returns -1 with *why a
 * sentence for States.ResultWriterFailed (new).
 */
int	 sd_rw_finish(const char *s3_dir, const struct sd_result_writer *,
	    json_t *params, const struct sd_rw_run *, json_t **out, char **why);

/* Check params before the run starts: 0, or -1 with *why (new). */
int	 sd_rw_check(const char *s3_dir, json_t *params, char **why);

/*
 * The ARN (new; NULL out of memory) of the run's child execution i, the
 * ResultWriter's ExecutionArn and the child's $$.Execution.Id; its name
 * (a UUID derived from the Map Run and i) in name.
 */
char	*sd_rw_child_arn(const struct sd_rw_run *, size_t i, char name[37]);

/* A RFC 4122 name-based (version 5 layout) id of seed, in out[37]. */
int	 sd_rw_uuid(const char *seed, char out[37]);

#endif /* SD_RESULTWRITER_H */
