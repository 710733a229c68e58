/**
 * Config files for nginx and lighttpd: everything (pid, logs, temp paths) inside the run's own
 * work dir, nothing under /etc. Pure: the caller writes the text.
 */

export interface ConfigInput {
  readonly root: string;
  readonly workDir: string;
  readonly port: number;
  /** Access log file, or undefined for off. */
  readonly accessLogPath: string | undefined;
  readonly fdLimit: number;
  readonly maxConnections: number;
  readonly runningAsRoot: boolean;
}

/** One worker, sendfile on, autoindex for the listing; workers stay root when run as root. */
export function nginxConf(input: ConfigInput): string {
  const { workDir } = input;
  return `${input.runningAsRoot ? 'user root;\n' : ''}worker_processes 1;
worker_rlimit_nofile ${input.fdLimit};
pid ${workDir}/nginx.pid;
error_log ${workDir}/nginx-error.log warn;
events {
  worker_connections ${input.maxConnections};
}
http {
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 1000000;
  access_log ${input.accessLogPath ?? 'off'};
  client_body_temp_path ${workDir}/nginx-client-body;
  proxy_temp_path ${workDir}/nginx-proxy;
  fastcgi_temp_path ${workDir}/nginx-fastcgi;
  uwsgi_temp_path ${workDir}/nginx-uwsgi;
  scgi_temp_path ${workDir}/nginx-scgi;
  server {
    listen 127.0.0.1:${input.port} backlog=4096;
    root ${input.root};
    location / {
      autoindex on;
    }
  }
}
`;
}

/** One process (server.max-worker 0), dir-listing on, mod_accesslog only when logging. */
export function lighttpdConf(input: ConfigInput): string {
  const { workDir } = input;
  const accessLog =
    input.accessLogPath === undefined
      ? ''
      : `server.modules += ("mod_accesslog")\naccesslog.filename = "${input.accessLogPath}"\n`;
  return `server.document-root = "${input.root}"
server.bind = "127.0.0.1"
server.port = ${input.port}
server.max-worker = 0
server.max-fds = ${input.fdLimit}
server.max-connections = ${input.maxConnections}
server.max-keep-alive-requests = 1000000
server.listen-backlog = 4096
server.errorlog = "${workDir}/lighttpd-error.log"
server.modules += ("mod_dirlisting")
dir-listing.activate = "enable"
mimetype.assign = (".bin" => "application/octet-stream", ".txt" => "text/plain")
${accessLog}`;
}
