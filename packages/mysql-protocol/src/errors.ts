/**
 * Errors of the MySQL codec and the server error codes / SQL states used across the project.
 *
 * A {@link ProtocolError} means the byte stream itself is wrong (truncated, forged length,
 * unexpected packet): the connection cannot continue. Server-side SQL errors are data, carried in
 * ERR packets built from the `ER_*` codes below.
 */

/** Thrown by every decoder on malformed or unexpected input. The connection should be closed. */
export class ProtocolError extends Error {
  /**
   * @param message what was wrong, specific enough for an operator to act on
   * @param errno the server error code a server should answer with, when one fits
   * @param sqlState the SQL state matching `errno`
   * @param answerSequenceId the sequence id a server's ERR for it carries, when it is not the
   *   first answer's (1): a packet too large is answered after the frame that made it so
   */
  constructor(
    message: string,
    readonly errno: number = ER_MALFORMED_PACKET,
    readonly sqlState: string = sqlStateFor(errno),
    readonly answerSequenceId?: number,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export const ER_CON_COUNT_ERROR = 1040;
export const ER_OUT_OF_RESOURCES = 1041;
export const ER_BAD_HOST_ERROR = 1042;
export const ER_HANDSHAKE_ERROR = 1043;
export const ER_DBACCESS_DENIED_ERROR = 1044;
export const ER_ACCESS_DENIED_ERROR = 1045;
export const ER_NO_DB_ERROR = 1046;
export const ER_UNKNOWN_COM_ERROR = 1047;
export const ER_BAD_DB_ERROR = 1049;
export const ER_TABLE_EXISTS_ERROR = 1050;
export const ER_SERVER_SHUTDOWN = 1053;
export const ER_BAD_FIELD_ERROR = 1054;
export const ER_DUP_ENTRY = 1062;
export const ER_PARSE_ERROR = 1064;
export const ER_EMPTY_QUERY = 1065;
export const ER_NO_SUCH_THREAD = 1094;
export const ER_UNKNOWN_ERROR = 1105;
export const ER_NO_SUCH_TABLE = 1146;
export const ER_SYNTAX_ERROR = 1149;
export const ER_NET_PACKET_TOO_LARGE = 1153;
export const ER_NET_READ_ERROR_FROM_PIPE = 1154;
export const ER_NET_FCNTL_ERROR = 1155;
export const ER_NET_PACKETS_OUT_OF_ORDER = 1156;
export const ER_NET_UNCOMPRESS_ERROR = 1157;
export const ER_NET_READ_ERROR = 1158;
export const ER_NET_READ_INTERRUPTED = 1159;
export const ER_NET_ERROR_ON_WRITE = 1160;
export const ER_NET_WRITE_INTERRUPTED = 1161;
export const ER_CANT_DO_THIS_DURING_AN_TRANSACTION = 1179;
export const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;
export const ER_TOO_MANY_USER_CONNECTIONS = 1203;
export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_WRONG_ARGUMENTS = 1210;
export const ER_LOCK_DEADLOCK = 1213;
export const ER_USER_LIMIT_REACHED = 1226;
export const ER_NOT_SUPPORTED_YET = 1235;
export const ER_UNKNOWN_STMT_HANDLER = 1243;
export const ER_NOT_SUPPORTED_AUTH_MODE = 1251;
export const ER_OPTION_PREVENTS_STATEMENT = 1290;
export const ER_SP_DOES_NOT_EXIST = 1305;
export const ER_QUERY_INTERRUPTED = 1317;
export const ER_DATA_TOO_LONG = 1406;
export const ER_MAX_PREPARED_STMT_COUNT_REACHED = 1461;
export const ER_NEED_REPREPARE = 1615;
export const ER_MALFORMED_PACKET = 1835;
/** MySQL: require_secure_transport is on and the client did not use TLS. */
export const ER_SECURE_TRANSPORT_REQUIRED = 3159;
/** MariaDB's `max_statement_time` exceeded. */
export const ER_STATEMENT_TIMEOUT = 1969;

/** SQL states by meaning. */
export const SQLSTATE_GENERAL = 'HY000';
export const SQLSTATE_ACCESS_DENIED = '28000';
export const SQLSTATE_SYNTAX_OR_ACCESS = '42000';
export const SQLSTATE_COMMUNICATION_LINK = '08S01';
export const SQLSTATE_CONNECTION_REJECTED = '08004';
export const SQLSTATE_INTEGRITY = '23000';
export const SQLSTATE_DEADLOCK = '40001';
export const SQLSTATE_NOT_SUPPORTED = '0A000';
export const SQLSTATE_NO_DB = '3D000';
export const SQLSTATE_NO_SUCH_TABLE = '42S02';
export const SQLSTATE_BAD_FIELD = '42S22';
export const SQLSTATE_TABLE_EXISTS = '42S01';
export const SQLSTATE_TIMEOUT = '70100';

const SQL_STATES: Readonly<Record<number, string>> = {
  [ER_CON_COUNT_ERROR]: SQLSTATE_CONNECTION_REJECTED,
  [ER_OUT_OF_RESOURCES]: SQLSTATE_GENERAL,
  [ER_BAD_HOST_ERROR]: SQLSTATE_CONNECTION_REJECTED,
  [ER_HANDSHAKE_ERROR]: SQLSTATE_COMMUNICATION_LINK,
  [ER_DBACCESS_DENIED_ERROR]: SQLSTATE_SYNTAX_OR_ACCESS,
  [ER_ACCESS_DENIED_ERROR]: SQLSTATE_ACCESS_DENIED,
  [ER_NO_DB_ERROR]: SQLSTATE_NO_DB,
  [ER_UNKNOWN_COM_ERROR]: SQLSTATE_COMMUNICATION_LINK,
  [ER_BAD_DB_ERROR]: SQLSTATE_SYNTAX_OR_ACCESS,
  [ER_TABLE_EXISTS_ERROR]: SQLSTATE_TABLE_EXISTS,
  [ER_SERVER_SHUTDOWN]: SQLSTATE_COMMUNICATION_LINK,
  [ER_BAD_FIELD_ERROR]: SQLSTATE_BAD_FIELD,
  [ER_DUP_ENTRY]: SQLSTATE_INTEGRITY,
  [ER_PARSE_ERROR]: SQLSTATE_SYNTAX_OR_ACCESS,
  [ER_EMPTY_QUERY]: SQLSTATE_SYNTAX_OR_ACCESS,
  [ER_NO_SUCH_TABLE]: SQLSTATE_NO_SUCH_TABLE,
  [ER_SYNTAX_ERROR]: SQLSTATE_SYNTAX_OR_ACCESS,
  [ER_NET_PACKET_TOO_LARGE]: SQLSTATE_COMMUNICATION_LINK,
  [ER_NET_PACKETS_OUT_OF_ORDER]: SQLSTATE_COMMUNICATION_LINK,
  [ER_NET_READ_ERROR]: SQLSTATE_COMMUNICATION_LINK,
  [ER_NET_READ_INTERRUPTED]: SQLSTATE_COMMUNICATION_LINK,
  [ER_NET_ERROR_ON_WRITE]: SQLSTATE_COMMUNICATION_LINK,
  [ER_NET_WRITE_INTERRUPTED]: SQLSTATE_COMMUNICATION_LINK,
  [ER_CANT_DO_THIS_DURING_AN_TRANSACTION]: '25000',
  [ER_UNKNOWN_SYSTEM_VARIABLE]: SQLSTATE_GENERAL,
  [ER_TOO_MANY_USER_CONNECTIONS]: SQLSTATE_SYNTAX_OR_ACCESS,
  [ER_LOCK_WAIT_TIMEOUT]: SQLSTATE_GENERAL,
  [ER_LOCK_DEADLOCK]: SQLSTATE_DEADLOCK,
  [ER_NOT_SUPPORTED_YET]: SQLSTATE_SYNTAX_OR_ACCESS,
  [ER_NOT_SUPPORTED_AUTH_MODE]: SQLSTATE_CONNECTION_REJECTED,
  [ER_SP_DOES_NOT_EXIST]: SQLSTATE_SYNTAX_OR_ACCESS,
  [ER_QUERY_INTERRUPTED]: SQLSTATE_TIMEOUT,
  [ER_DATA_TOO_LONG]: '22001',
  [ER_MAX_PREPARED_STMT_COUNT_REACHED]: SQLSTATE_SYNTAX_OR_ACCESS,
  [ER_STATEMENT_TIMEOUT]: SQLSTATE_TIMEOUT,
};

/** The SQL state a server sends with `errno` (`HY000` when the code has no specific state). */
export function sqlStateFor(errno: number): string {
  return SQL_STATES[errno] ?? SQLSTATE_GENERAL;
}
