/* See httpd.h. Test code: blocking I/O, small fixed buffers. */
#include "httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTPD_MAX_REQUEST 65536

static const struct httpd_route *routes;
static int listen_fd = -1;
static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char last[HTTPD_MAX_REQUEST + 1];
static int served;

static int
send_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read a request head and its Content-Length body into @buf. */
static size_t
read_request(int fd, char *buf, size_t size)
{
	size_t len = 0, want = 0;
	char *end, *cl;
	ssize_t n;

	while (len < size - 1) {
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!(end = strstr(buf, "\r\n\r\n")))
			continue;
		if (!want) {
			cl = strcasestr(buf, "\r\ncontent-length:");
			want = (size_t)(end + 4 - buf);
			if (cl && cl < end)
				want += strtoul(cl + 17, NULL, 10);
		}
		if (len >= want)
			break;
	}
	buf[len] = '\0';
	return len;
}

static const struct httpd_route *
find_route(const char *req)
{
	const char *p = strchr(req, ' '), *e;
	size_t i, n;

	if (!p)
		return NULL;
	p++;
	e = p + strcspn(p, " ?");
	n = (size_t)(e - p);
	for (i = 0; routes[i].path; i++)
		if (strlen(routes[i].path) == n &&
		    memcmp(routes[i].path, p, n) == 0)
			return &routes[i];
	return NULL;
}

static void
answer(int fd, const struct httpd_route *rt)
{
	static const struct httpd_route not_found = {"",          404, NULL,
	                                             "not found", 0,   0};
	char head[1024];
	size_t blen, times, i;
	int n;

	if (!rt)
		rt = &not_found;
	blen = rt->body ? strlen(rt->body) : 0;
	times = rt->repeat ? rt->repeat : 1;
	if (rt->no_length)
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 %d X\r\nConnection: close\r\n%s\r\n",
		             rt->status, rt->headers ? rt->headers : "");
	else
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 %d X\r\nConnection: close\r\n"
		             "Content-Length: %zu\r\n%s\r\n",
		             rt->status, blen * times,
		             rt->headers ? rt->headers : "");
	if (n < 0 || (size_t)n >= sizeof(head) || send_all(fd, head, (size_t)n))
		return;
	for (i = 0; i < times && blen; i++)
		if (send_all(fd, rt->body, blen))
			return;
}

static void *
serve(void *arg)
{
	static char req[HTTPD_MAX_REQUEST + 1];
	int fd;

	(void)arg;
	for (;;) {
		fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			break;
		read_request(fd, req, sizeof(req));
		pthread_mutex_lock(&lock);
		memcpy(last, req, sizeof(last));
		served++;
		pthread_mutex_unlock(&lock);
		answer(fd, find_route(req));
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	return NULL;
}

static int
bind_loopback(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

int
httpd_start(const struct httpd_route *table, int *port)
{
	routes = table;
	served = 0;
	last[0] = '\0';
	listen_fd = bind_loopback(port);
	if (listen_fd < 0 || listen(listen_fd, 16))
		return -1;
	return pthread_create(&thread, NULL, serve, NULL) ? -1 : 0;
}

void
httpd_stop(void)
{
	if (listen_fd < 0)
		return;
	/* Wakes accept() with an error, which ends the thread. */
	shutdown(listen_fd, SHUT_RDWR);
	pthread_join(thread, NULL);
	close(listen_fd);
	listen_fd = -1;
}

void
httpd_last_request(char *buf, size_t size)
{
	pthread_mutex_lock(&lock);
	snprintf(buf, size, "%s", last);
	pthread_mutex_unlock(&lock);
}

int
httpd_requests(void)
{
	int n;

	pthread_mutex_lock(&lock);
	n = served;
	pthread_mutex_unlock(&lock);
	return n;
}

int
httpd_closed_port(void)
{
	int port = 0, fd = bind_loopback(&port);

	if (fd < 0)
		return -1;
	close(fd);
	return port;
}

void
httpd_unset_proxies(void)
{
	static const char *const vars[] = {"http_proxy",  "HTTP_PROXY",
	                                   "https_proxy", "HTTPS_PROXY",
	                                   "all_proxy",   "ALL_PROXY"};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(*vars); i++)
		unsetenv(vars[i]);
}
