export declare const MIN_RECORD: number;
export declare function recordLength(seq: number, maxLength: number): number;
export declare function encode(target: Uint8Array, producer: number, seq: number, length: number): Uint8Array;
export declare function decode(record: Uint8Array, maxLength: number): { producer: number; seq: number } | undefined;
