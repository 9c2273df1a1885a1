/* test_lb_probe.c — engine/lb: the driver's own health check (sp_lb_probe), which decides
 * whether a new server may be forced UP: HAProxy's request and verdict, against a small
 * server on 127.0.0.1. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/lb/lb.h"
#include "engine/base/banned.h"

struct srv {
	int fd, port;
	const char *answer; /* NULL: accept and say nothing until closed */
	char request[512];
	pthread_t th;
};

static void *serve_one(void *arg)
{
	struct srv *s = arg;
	int c = accept(s->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	ssize_t n = recv(c, s->request, sizeof(s->request) - 1, 0);
	if (n > 0)
		s->request[n] = '\0';
	if (s->answer)
		(void)send(c, s->answer, strlen(s->answer), MSG_NOSIGNAL);
	else
		usleep(600 * 1000);
	close(c);
	return NULL;
}

static void srv_start(struct srv *s, const char *answer)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	memset(s, 0, sizeof(*s));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->answer = answer;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(s->fd >= 0);
	cr_assert_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s->fd, 4), 0);
	cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	cr_assert_eq(pthread_create(&s->th, NULL, serve_one, s), 0);
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->fd);
}

static struct sp_lb_health target(const char *t, int port)
{
	struct sp_lb_health h;
	memset(&h, 0, sizeof(h));
	cr_assert_eq(sp_lb_parse_target(t, &h), 0);
	h.port = port;
	return h;
}

Test(lb_probe, status_line)
{
	const char *ok[] = { "HTTP/1.0 200 OK\r\n", "HTTP/1.1 200\r\n", "HTTP/1.1 200 OK" };
	const char *bad[] = { "HTTP/1.0 500 Internal\r\n", "HTTP/1.0 204 No Content\r\n", "HTTP/1.1 2000\r\n",
			      "HTTP/2 200\r\n", "SSH-2.0-x\r\n", "HTTP/1.0 20", "" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert(sp_lb_status_line_ok(ok[i], strlen(ok[i])), "%s", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!sp_lb_status_line_ok(bad[i], strlen(bad[i])), "%s", bad[i]);
}

Test(lb_probe, http_200_passes_with_haproxys_request)
{
	struct srv s;
	srv_start(&s, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
	struct sp_lb_health h = target("HTTP:80/health?x=1", s.port);
	cr_assert_eq(sp_lb_probe(&h, "127.0.0.1", 2000), 0);
	srv_stop(&s);
	cr_assert(!strncmp(s.request, "GET /health?x=1 HTTP/1.0\r\n", 26), "%s", s.request);
}

Test(lb_probe, http_not_200_fails)
{
	struct srv s;
	srv_start(&s, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
	struct sp_lb_health h = target("HTTP:80/", s.port);
	cr_assert_eq(sp_lb_probe(&h, "127.0.0.1", 2000), SP_ERROR);
	srv_stop(&s);
}

Test(lb_probe, http_silence_fails_within_the_timeout)
{
	struct srv s;
	srv_start(&s, NULL);
	struct sp_lb_health h = target("HTTP:80/", s.port);
	cr_assert_eq(sp_lb_probe(&h, "127.0.0.1", 200), SP_ERROR);
	srv_stop(&s);
}

Test(lb_probe, tcp_connect_passes_and_refused_fails)
{
	struct srv s;
	srv_start(&s, "");
	struct sp_lb_health h = target("TCP:80", s.port);
	cr_assert_eq(sp_lb_probe(&h, "127.0.0.1", 2000), 0);
	srv_stop(&s);
	/* the port is closed now */
	cr_assert_eq(sp_lb_probe(&h, "127.0.0.1", 2000), SP_ERROR);
	cr_assert_eq(sp_lb_probe(&h, "not-an-address", 2000), SP_EINVAL);
}
