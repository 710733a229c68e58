/**
 * Certificates made at test time with Debian's `openssl`: a self-signed P-256 certificate for
 * 127.0.0.1 to 127.0.0.3 and localhost (the one a client trusts with `--cacert`), and an expired one.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: Buffer;
}

// 127.0.0.2 and .3 too: reload tests move a listener between loopback addresses.
const SAN = ['-addext', 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,DNS:localhost'];

/**
 * A fresh key and a self-signed certificate valid for two days, as `NAME.pem` and `NAME.key`;
 * `subject` tells two of them apart (a renewal) beyond their random serials.
 */
export async function makeCertificate(
  dir: string,
  name = 'server',
  subject = '/CN=localhost',
): Promise<TestCertificate> {
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    subject,
    ...SAN,
    '-days',
    '2',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  return { certPath, keyPath, cert: await readFile(certPath) };
}

/** A self-signed certificate that expired in 2020 (`openssl ca` is the one that backdates). */
export async function makeExpiredCertificate(dir: string): Promise<TestCertificate> {
  const certPath = join(dir, 'expired.pem');
  const keyPath = join(dir, 'expired.key');
  const csrPath = join(dir, 'expired.csr');
  const configPath = join(dir, 'ca.cnf');
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(
    configPath,
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `database = ${join(dir, 'index.txt')}`,
      `new_certs_dir = ${dir}`,
      'rand_serial = yes',
      'default_md = sha256',
      'policy = any',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPath]);
  await run('openssl', ['req', '-new', '-key', keyPath, '-subj', '/CN=localhost', '-out', csrPath]);
  await run('openssl', [
    'ca',
    '-batch',
    '-config',
    configPath,
    '-selfsign',
    '-keyfile',
    keyPath,
    '-in',
    csrPath,
    '-out',
    certPath,
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
  ]);
  return { certPath, keyPath, cert: await readFile(certPath) };
}
