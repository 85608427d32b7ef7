/**
 * Phone numbers in OneTalk's form: country calling code + national number, digits only
 * (`"+62 812-3456-7890"` → `"6281234567890"`). Parsing is libphonenumber-js's job.
 */
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';
import { REGION_CALLING_CODES } from '../onetalk/fields.js';

export type { CountryCode };

/**
 * Normalises a phone claim, or `undefined` when it cannot be a phone number.
 *
 * A number without a country code is read as a national number of `defaultRegion` when one is
 * given, and dropped otherwise: guessing the country would attach the user to a stranger's
 * number (OneTalk's contact sync matches contacts by phone). Extensions are dropped: OneTalk has
 * no field for them. Results longer than `limit` are dropped, never cut, and so are numbers of
 * non-geographic codes (+800 freephone, +882 networks…), which the pre-send check refuses: a
 * refused field would cost the user their ticket instead of just their phone.
 */
export function phoneField(value: string, limit: number, defaultRegion?: CountryCode): string | undefined {
  const region = defaultRegion !== undefined && isSupportedCountry(defaultRegion) ? defaultRegion : undefined;
  const parsed = parsePhoneNumberFromString(value, region === undefined ? undefined : { defaultCountry: region });
  if (parsed === undefined || !parsed.isPossible()) return undefined;
  const callingCode = parsed.countryCallingCode;
  const digits = `${callingCode}${parsed.nationalNumber}`;
  if (!REGION_CALLING_CODES.has(callingCode) || !/^\d+$/.test(digits) || digits.length > limit) return undefined;
  return digits;
}
