// The input checks every backend shares come from @mq/core; this backend's modules import them from here.
export { assertArray, assertDuration, assertName, assertPositiveInt } from "@mq/core";
