/** First payload bytes that identify a server packet. */

export const OK_HEADER = 0x00;
/** EOF packet (payload < 9 bytes); also OK-as-EOF under CLIENT_DEPRECATE_EOF; also AuthSwitchRequest. */
export const EOF_HEADER = 0xfe;
export const ERR_HEADER = 0xff;
/** LOCAL INFILE request: the server asks the client to send a file. */
export const LOCAL_INFILE_HEADER = 0xfb;
/** AuthMoreData during authentication. */
export const AUTH_MORE_DATA_HEADER = 0x01;
export const AUTH_SWITCH_HEADER = 0xfe;

/** Session-state-change types in an OK packet's SESSION_TRACK block. */
export const SESSION_TRACK_SYSTEM_VARIABLES = 0x00;
export const SESSION_TRACK_SCHEMA = 0x01;
export const SESSION_TRACK_STATE_CHANGE = 0x02;
export const SESSION_TRACK_GTIDS = 0x03;
export const SESSION_TRACK_TRANSACTION_CHARACTERISTICS = 0x04;
export const SESSION_TRACK_TRANSACTION_STATE = 0x05;
