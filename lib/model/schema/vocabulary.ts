/**
 * General knowledge the ranking starts from, before it has seen a schema:
 * - COMMON_WORDS: words that recur in table and column names, so that names written without separators
 *   (`salesorderheader`, `hiredate`, the way unquoted CamelCase lands in PostgreSQL) can be split into words.
 *   A schema adds its own words (from comments and from names that do have separators) at index time.
 * - SYNONYMS: words people use for the same business notion (a question says "suppliers", the table says
 *   `vendor`). Generic on purpose: nothing here names a table of a particular database.
 */

export const COMMON_WORDS = (
  'id no nr pk fk ip qty pct amt avg min max num ref seq uid url uri sku vat tax iso ' +
  'account accounts active activity actor address addresses adjustment age agent aggregate album amount ' +
  'analysis answer api app application approval approved archive area article artist asset assembly attachment ' +
  'attempt attribute audit author average award balance bank base batch bill billing bin birth birthdate ' +
  'block blog board body book booking boolean branch brand budget build bundle business buyer cache ' +
  'calendar campaign cancel cancelled card cart case cast catalog category categories cause cell change ' +
  'channel charge chart check child city claim class client code collection color colour comment commission ' +
  'company component condition config configuration contact content contract cost count country coupon course ' +
  'created credit culture currency current customer cycle daily data date day deal default delivery ' +
  'demographics department deposit description detail details device diagram discount display document ' +
  'domain draft due duration earned edition education effective email employee employment end entity ' +
  'entry equipment error estimate event exchange expense expiration expire expiry external factor fee ' +
  'feature field file film final finished first fiscal flag folder format frame freight from fund gender ' +
  'genre goods grade group guest header history holiday hour hours identity illustration image import ' +
  'income index industry info information instruction instructions inventory invoice issue item job journal ' +
  'key kind label language last lead leave ledger level license limit line link list listing location ' +
  'lock log login manager manufacture margin marital market master material measure media member menu ' +
  'merchant message method middle mobile mode model modified month name night note number offer office ' +
  'online open order organization origin owner package page paid parent part partner password path pay ' +
  'payment pending percent period person phone photo place plan planned platform playlist point policy ' +
  'portal position post postal price primary priority process product production profile program project ' +
  'promotion province purchase quantity quarter queue quota rate rating reason receipt received record ' +
  'reference refund region registration reject rejected release rental reorder report request required ' +
  'reseller reservation resource response result retail return revenue review revision role room route ' +
  'routing row sale sales salary schedule scheme scrap scrapped season second segment seller sent sequence ' +
  'serial service session setting settings shift ship shipment shipping shop short sick size skill ' +
  'snapshot source special specification staff standard start state statement status stock store street ' +
  'style subcategory subject subscription subtotal summary supplier supply support survey tag target task ' +
  'team template term territory test text thumbnail ticket time title token topic total track tracking ' +
  'transaction transfer trip type unit update usage user vacation valid value vendor version view visit ' +
  'wallet warehouse week weight work year zip zone'
).split(' ');

/** Each group: words a question may use for the same notion. Matched by stem, weighted below an exact word. */
export const SYNONYMS: string[][] = [
  ['supplier', 'vendor', 'provider'],
  ['customer', 'client', 'buyer', 'purchaser', 'shopper'],
  ['employee', 'staff', 'worker', 'personnel', 'colleague'],
  ['salesperson', 'seller', 'rep'],
  ['product', 'item', 'article', 'goods', 'merchandise', 'sku'],
  ['order', 'purchase'],
  ['invoice', 'bill'],
  ['payment', 'transaction'],
  ['price', 'cost', 'fee', 'charge'],
  ['revenue', 'sales', 'income', 'turnover', 'earnings'],
  ['salary', 'pay', 'wage', 'compensation', 'rate'],
  ['discount', 'promotion', 'offer', 'deal', 'coupon', 'rebate'],
  ['region', 'territory', 'area', 'zone'],
  ['country', 'nation'],
  ['province', 'state'],
  ['city', 'town'],
  ['address', 'location'],
  ['warehouse', 'location', 'depot'],
  ['stock', 'inventory'],
  ['shipper', 'carrier', 'courier'],
  ['shipping', 'delivery', 'shipment', 'freight'],
  ['department', 'division', 'unit'],
  ['job', 'position', 'role', 'title'],
  ['hire', 'join', 'start'],
  ['review', 'rating', 'feedback'],
  ['category', 'genre', 'class', 'type', 'kind'],
  ['phone', 'telephone', 'mobile'],
  ['email', 'mail'],
  ['people', 'person', 'contact'],
  ['movie', 'film'],
  ['song', 'track', 'tune'],
  ['singer', 'artist', 'band', 'musician'],
  ['rent', 'rental', 'borrow', 'lease'],
  ['manager', 'supervisor', 'boss'],
  ['reason', 'cause'],
  ['language', 'culture', 'locale'],
  ['manufacturing', 'production'],
  ['part', 'component'],
  ['money', 'currency'],
  ['reject', 'refuse', 'decline'],
];
