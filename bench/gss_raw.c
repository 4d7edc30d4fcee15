/*
 * gss_raw - the raw speed of gss_wrap and gss_unwrap, the ceiling for
 * socksify's protected data path (bench/gss.sh, make bench-gss).
 *
 *   gss_raw [-t SERVICE@HOST] [-b BYTES] [-r ROUNDS] [-m MSGSIZE]
 *
 * In one process: a Kerberos context pair, the initiator from the ccache
 * ($KRB5CCNAME, like socksify) with socksify's flags, the acceptor from the
 * keytab ($KRB5_KTNAME).  Then, at conf_req 0 (integrity) and 1
 * (confidentiality), BYTES of plaintext (default 512 MiB) in messages of the
 * size socksify puts in one frame: gss_wrap_size_limit(ctx, conf, 0, 65535)
 * (-m: MSGSIZE bytes instead, to see how the speed depends on it).
 *
 *   wrap   the initiator wraps (socksify sending), the acceptor unwraps
 *   unwrap the acceptor wraps, the initiator unwraps (socksify receiving)
 *
 * Only the initiator's calls are timed for the headline figures (they are
 * socksify's side); the acceptor's are printed too.  Messages go in batches
 * of 32: wrap a batch (timed), unwrap it in order (timed separately), so
 * sequence numbers stay in order and the first message of every batch is
 * checked.  Best of ROUNDS (default 3).  One line per level:
 *
 *   level integrity conf 0 msg 65507 token 65535 wrap_MBps W unwrap_MBps U
 *         wrap_cpu_MBps CW unwrap_cpu_MBps CU peer_wrap_MBps PW
 *         peer_unwrap_MBps PU bytes B
 *
 * MB = 10^6 bytes of plaintext; *_MBps per second of wall clock, *_cpu_MBps
 * per second of this thread's CPU time (equal on an idle machine).  No network at all after the ticket is in
 * the ccache (the service ticket is fetched from the KDC once).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#define BATCH 32
#define MAXTOKEN 65535

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall clock and this thread's CPU time: the CPU figures hold even when
 * other load on the machine takes the core away now and then. */
struct stamp { double wall, cpu; };

static struct stamp stamp(void)
{
	return (struct stamp){ clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_THREAD_CPUTIME_ID) };
}

static void add_since(struct stamp t0, double *wall, double *cpu)
{
	struct stamp t1 = stamp();

	*wall += t1.wall - t0.wall;
	*cpu += t1.cpu - t0.cpu;
}

static void gss_die(const char *what, OM_uint32 major, OM_uint32 minor)
{
	OM_uint32 m, ctx = 0;
	gss_buffer_desc b;

	fprintf(stderr, "gss_raw: %s failed:", what);
	do {
		gss_display_status(&m, major, GSS_C_GSS_CODE, GSS_C_NO_OID, &ctx, &b);
		fprintf(stderr, " %.*s;", (int)b.length, (char *)b.value);
		gss_release_buffer(&m, &b);
	} while (ctx);
	ctx = 0;
	do {
		gss_display_status(&m, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx, &b);
		fprintf(stderr, " %.*s", (int)b.length, (char *)b.value);
		gss_release_buffer(&m, &b);
	} while (ctx);
	fputc('\n', stderr);
	exit(1);
}

/* The pair, token by token, like socksify and its proxy over a socket. */
static void establish(const char *target, gss_ctx_id_t *ini, gss_ctx_id_t *acc)
{
	gss_buffer_desc name = { strlen(target), (void *)target };
	gss_buffer_desc itok = GSS_C_EMPTY_BUFFER, atok = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, amajor = GSS_S_CONTINUE_NEEDED, minor, m, flags;
	gss_name_t tname;

	major = gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &tname);
	if (GSS_ERROR(major))
		gss_die("gss_import_name", major, minor);
	*ini = *acc = GSS_C_NO_CONTEXT;
	flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
	for (;;) {
		major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, ini, tname,
					     GSS_KRB5_MECHANISM, flags, 0, NULL,
					     atok.length ? &atok : NULL, NULL,
					     &itok, NULL, NULL);
		gss_release_buffer(&m, &atok);
		if (GSS_ERROR(major))
			gss_die("gss_init_sec_context", major, minor);
		if (itok.length) {
			amajor = gss_accept_sec_context(&minor, acc, GSS_C_NO_CREDENTIAL,
							&itok, NULL, NULL, NULL,
							&atok, NULL, NULL, NULL);
			gss_release_buffer(&m, &itok);
			if (GSS_ERROR(amajor))
				gss_die("gss_accept_sec_context", amajor, minor);
		}
		if (major == GSS_S_COMPLETE)
			break;
		if (!atok.length) {
			fprintf(stderr, "gss_raw: the acceptor sent no token\n");
			exit(1);
		}
	}
	gss_release_buffer(&m, &atok);
	gss_release_name(&m, &tname);
	if (amajor != GSS_S_COMPLETE) {
		fprintf(stderr, "gss_raw: the acceptor is not complete\n");
		exit(1);
	}
}

static const char *enctype_name(int e)
{
	switch (e) {
	case 16: return "des3-cbc-sha1";
	case 17: return "aes128-cts-hmac-sha1-96";
	case 18: return "aes256-cts-hmac-sha1-96";
	case 19: return "aes128-cts-hmac-sha256-128";
	case 20: return "aes256-cts-hmac-sha384-192";
	case 23: return "arcfour-hmac-md5";
	default: return "?";
	}
}

static void print_enctype(gss_ctx_id_t ctx)
{
	struct EncryptionKey *k = NULL;
	OM_uint32 minor;

	if (gsskrb5_get_subkey(&minor, ctx, &k) == GSS_S_COMPLETE && k) {
		printf("enctype %s (%d)\n", enctype_name(k->keytype), k->keytype);
		free(k->keyvalue.data);
		free(k);
	} else {
		printf("enctype unknown\n");
	}
}

struct dir {            /* one direction: from wraps, to unwraps */
	gss_ctx_id_t from, to;
	double twrap, tunwrap;          /* wall clock */
	double cwrap, cunwrap;          /* CPU time */
};

/* BYTES through one direction in batches; adds the times to d. */
static void run_dir(struct dir *d, int conf, const uint8_t *plain, size_t msg,
		    uint64_t bytes)
{
	gss_buffer_desc tok[BATCH];
	OM_uint32 major, minor, m, qop;
	uint64_t done = 0;
	int cs;

	while (done < bytes) {
		struct stamp t0 = stamp();

		for (int i = 0; i < BATCH; i++) {
			gss_buffer_desc in = { msg, (void *)plain };

			major = gss_wrap(&minor, d->from, conf, GSS_C_QOP_DEFAULT, &in,
					 &cs, &tok[i]);
			if (GSS_ERROR(major))
				gss_die("gss_wrap", major, minor);
		}
		add_since(t0, &d->twrap, &d->cwrap);
		if (tok[0].length > MAXTOKEN || cs != conf) {
			fprintf(stderr, "gss_raw: token of %zu bytes, conf_state %d\n",
				tok[0].length, cs);
			exit(1);
		}
		t0 = stamp();
		for (int i = 0; i < BATCH; i++) {
			gss_buffer_desc out = GSS_C_EMPTY_BUFFER;

			major = gss_unwrap(&minor, d->to, &tok[i], &out, &cs, &qop);
			if (GSS_ERROR(major))
				gss_die("gss_unwrap", major, minor);
			if (i == 0 && (out.length != msg || memcmp(out.value, plain, msg))) {
				fprintf(stderr, "gss_raw: unwrap gave other bytes\n");
				exit(1);
			}
			gss_release_buffer(&m, &out);
			gss_release_buffer(&m, &tok[i]);
		}
		add_since(t0, &d->tunwrap, &d->cunwrap);
		done += (uint64_t)BATCH * msg;
	}
}

static double mbps(uint64_t bytes, double t)
{
	return t > 0 ? (double)bytes / t / 1e6 : 0;
}

static size_t msgsize;  /* -m; 0: the frame size */

static void level(gss_ctx_id_t ini, gss_ctx_id_t acc, int conf, uint64_t bytes,
		  int rounds)
{
	OM_uint32 major, minor, max = 0;
	double w = 0, u = 0, pw = 0, pu = 0, cw = 0, cu = 0;
	uint64_t moved;
	uint8_t *plain;
	size_t msg;

	major = gss_wrap_size_limit(&minor, ini, conf, GSS_C_QOP_DEFAULT, MAXTOKEN, &max);
	if (GSS_ERROR(major) || max == 0)
		gss_die("gss_wrap_size_limit", major, minor);
	msg = msgsize ? msgsize : max;
	plain = malloc(msg);
	if (!plain) {
		perror("gss_raw: malloc");
		exit(1);
	}
	for (size_t i = 0; i < msg; i++)
		plain[i] = (uint8_t)(i * 2654435761u >> 13);
	moved = (bytes + BATCH * msg - 1) / (BATCH * msg) * BATCH * msg;
	for (int r = 0; r < rounds; r++) {
		struct dir send = { .from = ini, .to = acc }, recv = { .from = acc, .to = ini };

		run_dir(&send, conf, plain, msg, bytes);
		run_dir(&recv, conf, plain, msg, bytes);
		if (mbps(moved, send.twrap) > w)
			w = mbps(moved, send.twrap);
		if (mbps(moved, recv.tunwrap) > u)
			u = mbps(moved, recv.tunwrap);
		if (mbps(moved, recv.twrap) > pw)
			pw = mbps(moved, recv.twrap);
		if (mbps(moved, send.tunwrap) > pu)
			pu = mbps(moved, send.tunwrap);
		if (mbps(moved, send.cwrap) > cw)
			cw = mbps(moved, send.cwrap);
		if (mbps(moved, recv.cunwrap) > cu)
			cu = mbps(moved, recv.cunwrap);
	}
	printf("level %s conf %d msg %zu token %d wrap_MBps %.1f unwrap_MBps %.1f "
	       "wrap_cpu_MBps %.1f unwrap_cpu_MBps %.1f "
	       "peer_wrap_MBps %.1f peer_unwrap_MBps %.1f bytes %llu\n",
	       conf ? "confidentiality" : "integrity", conf, msg, MAXTOKEN, w, u,
	       cw, cu, pw, pu, (unsigned long long)moved);
	fflush(stdout);
	free(plain);
}

int main(int argc, char **argv)
{
	const char *target = "rcmd@127.0.0.1";
	uint64_t bytes = 512ull << 20;
	gss_ctx_id_t ini, acc;
	OM_uint32 m;
	int rounds = 3, c;

	while ((c = getopt(argc, argv, "t:b:r:m:")) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 'b': bytes = strtoull(optarg, NULL, 10); break;
		case 'r': rounds = atoi(optarg); break;
		case 'm': msgsize = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: gss_raw [-t SERVICE@HOST] [-b BYTES] [-r ROUNDS] "
				"[-m MSGSIZE]\n");
			return 2;
		}
	}
	if (rounds < 1 || bytes == 0)
		return 2;
	establish(target, &ini, &acc);
	print_enctype(ini);
	level(ini, acc, 0, bytes, rounds);
	level(ini, acc, 1, bytes, rounds);
	gss_delete_sec_context(&m, &ini, GSS_C_NO_BUFFER);
	gss_delete_sec_context(&m, &acc, GSS_C_NO_BUFFER);
	return 0;
}
