// The synthetic world's value questions: World Values Survey wording and answer scales (Wave 7
// numbering where the item exists there), each with loadings that say how the latent score η of the
// cumulative-logit model (./ordinal.ts) moves with the respondent's culture and demographics.
//
// Sign convention: a positive loading moves answers toward the LAST option of the list as written.
// Options are in the questionnaire's order (e.g. "Very important" … "Not at all important"), so a
// secular-leaning item worded that way gets a positive traditional→secular loading.
//
// Features the loadings multiply (see ./world.ts, `features`):
//   traditionalSecular      country's (separation-scaled) IW score, centred on the mean zone centre
//   survivalSelfExpression  idem, sign-corrected (higher = self-expression)
//   age                     (age − 45) / 15
//   education               (EDUCATION level index − 3.5) / 2   (0 = no formal … 7 = doctorate)
//   religiosity             +0.5 for any religion, −0.5 for "No religion"
//   gender                  +0.5 Female, −0.5 Male, 0 otherwise

export interface Loadings {
  traditionalSecular: number;
  survivalSelfExpression: number;
  age: number;
  education: number;
  religiosity: number;
  gender: number;
}

export interface ValueQuestion {
  /** WVS-style id ("Q164"); unique */
  id: string;
  /** question text as shown to the model */
  text: string;
  /** answer labels in questionnaire order; 4, 5 or 10 of them */
  options: readonly string[];
  loadings: Loadings;
  /**
   * centre of the thresholds: 0 puts η = 0 (the world's average respondent) at the middle option,
   * positive values pull answers toward the first options, negative toward the last
   */
  center: number;
}

export const LOADING_KEYS = ['traditionalSecular', 'survivalSelfExpression', 'age', 'education', 'religiosity', 'gender'] as const satisfies readonly (keyof Loadings)[];

/** Spacing of the thresholds by scale length, so that each scale spreads over a similar η range. */
export function thresholdStep(K: number): number {
  return K <= 4 ? 1.5 : K <= 5 ? 1.2 : 0.6;
}

const IMPORTANT = ['Very important', 'Rather important', 'Not very important', 'Not at all important'] as const;
const AGREE4 = ['Agree strongly', 'Agree', 'Disagree', 'Strongly disagree'] as const;
const AGREE5 = ['Agree strongly', 'Agree', 'Neither agree nor disagree', 'Disagree', 'Disagree strongly'] as const;
const CONFIDENCE = ['A great deal', 'Quite a lot', 'Not very much', 'None at all'] as const;
const TRUST = ['Trust completely', 'Trust somewhat', 'Do not trust very much', 'Do not trust at all'] as const;
const GOOD4 = ['Very good', 'Fairly good', 'Fairly bad', 'Very bad'] as const;

/** "1 (low label)", "2", …, "10 (high label)" */
function ten(low: string, high: string): string[] {
  return Array.from({ length: 10 }, (_, i) => (i === 0 ? `1 (${low})` : i === 9 ? `10 (${high})` : String(i + 1)));
}
const JUSTIFIABLE = ten('Never justifiable', 'Always justifiable');

function L(partial: Partial<Loadings>): Loadings {
  return { traditionalSecular: 0, survivalSelfExpression: 0, age: 0, education: 0, religiosity: 0, gender: 0, ...partial };
}

export const QUESTIONS: readonly ValueQuestion[] = [
  // ---- importance of life domains (Q1–Q6), 4-point, first option = very important ----
  { id: 'Q1', text: 'How important is family in your life?', options: IMPORTANT, center: 2.6, loadings: L({ traditionalSecular: 0.2, survivalSelfExpression: 0.1, religiosity: -0.3 }) },
  { id: 'Q2', text: 'How important are friends in your life?', options: IMPORTANT, center: 0.9, loadings: L({ survivalSelfExpression: -0.5, age: 0.2, education: -0.2 }) },
  { id: 'Q3', text: 'How important is leisure time in your life?', options: IMPORTANT, center: 0.6, loadings: L({ survivalSelfExpression: -0.6, age: 0.2 }) },
  { id: 'Q4', text: 'How important is politics in your life?', options: IMPORTANT, center: -0.6, loadings: L({ survivalSelfExpression: -0.3, age: -0.2, education: -0.5, gender: 0.2 }) },
  { id: 'Q5', text: 'How important is work in your life?', options: IMPORTANT, center: 1.0, loadings: L({ traditionalSecular: 0.3, survivalSelfExpression: 0.4, age: 0.2 }) },
  { id: 'Q6', text: 'How important is religion in your life?', options: IMPORTANT, center: 0.0, loadings: L({ traditionalSecular: 1.2, survivalSelfExpression: 0.3, age: -0.3, religiosity: -1.8 }) },
  // ---- qualities children should learn, 4-point importance ----
  { id: 'Q8', text: 'How important is it that children learn independence at home?', options: IMPORTANT, center: 0.8, loadings: L({ survivalSelfExpression: -0.7, traditionalSecular: -0.2, education: -0.2 }) },
  { id: 'Q17', text: 'How important is it that children learn obedience at home?', options: IMPORTANT, center: 0.3, loadings: L({ traditionalSecular: 0.8, survivalSelfExpression: 0.4, education: 0.2, religiosity: -0.3 }) },
  { id: 'Q15', text: 'How important is it that children learn religious faith at home?', options: IMPORTANT, center: -0.2, loadings: L({ traditionalSecular: 1.1, survivalSelfExpression: 0.2, religiosity: -1.6, age: -0.2 }) },
  // ---- gender roles and family values ----
  { id: 'Q27', text: 'One of my main goals in life has been to make my parents proud.', options: AGREE4, center: 0.6, loadings: L({ traditionalSecular: 1.0, age: -0.2, religiosity: -0.4 }) },
  { id: 'Q28', text: 'When a mother works for pay, the children suffer.', options: AGREE4, center: 0.0, loadings: L({ survivalSelfExpression: 1.0, traditionalSecular: 0.2, gender: 0.3, education: 0.3, age: -0.2 }) },
  { id: 'Q29', text: 'On the whole, men make better political leaders than women do.', options: AGREE4, center: -0.3, loadings: L({ survivalSelfExpression: 1.2, traditionalSecular: 0.3, gender: 0.6, education: 0.3, age: -0.2, religiosity: -0.2 }) },
  { id: 'Q30', text: 'A university education is more important for a boy than for a girl.', options: AGREE4, center: -0.9, loadings: L({ survivalSelfExpression: 1.0, gender: 0.4, education: 0.4 }) },
  { id: 'Q33', text: 'When jobs are scarce, men should have more right to a job than women.', options: AGREE5, center: -0.2, loadings: L({ survivalSelfExpression: 1.1, traditionalSecular: 0.2, gender: 0.5, education: 0.3 }) },
  { id: 'Q35', text: 'If a woman earns more money than her husband, it is almost certain to cause problems.', options: AGREE5, center: 0.0, loadings: L({ survivalSelfExpression: 0.8, gender: 0.2, education: 0.3 }) },
  { id: 'Q36', text: 'Homosexual couples are as good parents as other couples.', options: AGREE5, center: 0.0, loadings: L({ survivalSelfExpression: -1.3, traditionalSecular: -0.4, age: 0.4, religiosity: 0.5, gender: -0.2 }) },
  { id: 'Q37', text: 'It is a duty towards society to have children.', options: AGREE5, center: 0.2, loadings: L({ traditionalSecular: 1.0, survivalSelfExpression: 0.3, religiosity: -0.5, age: -0.2 }) },
  { id: 'Q40', text: 'Work is a duty towards society.', options: AGREE5, center: 0.8, loadings: L({ traditionalSecular: 0.6, survivalSelfExpression: 0.3, age: -0.2 }) },
  // ---- well-being ----
  { id: 'Q46', text: 'Taking all things together, would you say you are:', options: ['Very happy', 'Rather happy', 'Not very happy', 'Not at all happy'], center: 1.0, loadings: L({ survivalSelfExpression: -0.9, age: 0.1, education: -0.1 }) },
  { id: 'Q47', text: 'All in all, how would you describe your state of health these days?', options: ['Very good', 'Good', 'Fair', 'Poor', 'Very poor'], center: 0.8, loadings: L({ survivalSelfExpression: -0.4, age: 0.6, education: -0.2 }) },
  { id: 'Q48', text: 'How much freedom of choice and control do you feel you have over the way your life turns out?', options: ten('No choice at all', 'A great deal of choice'), center: -0.9, loadings: L({ survivalSelfExpression: 0.9, education: 0.2 }) },
  { id: 'Q49', text: 'All things considered, how satisfied are you with your life as a whole these days?', options: ten('Completely dissatisfied', 'Completely satisfied'), center: -0.8, loadings: L({ survivalSelfExpression: 0.9, education: 0.1 }) },
  // ---- trust and security ----
  { id: 'Q59', text: 'How much do you trust people you meet for the first time?', options: TRUST, center: -0.2, loadings: L({ survivalSelfExpression: -0.7, education: -0.2, age: -0.1 }) },
  { id: 'Q62', text: 'How much do you trust people of another religion?', options: TRUST, center: 0.0, loadings: L({ survivalSelfExpression: -0.6, traditionalSecular: -0.2, religiosity: 0.3 }) },
  { id: 'Q65', text: 'How much confidence do you have in the armed forces?', options: CONFIDENCE, center: 0.4, loadings: L({ traditionalSecular: 0.4, survivalSelfExpression: 0.3, age: -0.2, religiosity: -0.3 }) },
  { id: 'Q64', text: 'How much confidence do you have in the churches?', options: CONFIDENCE, center: 0.0, loadings: L({ traditionalSecular: 0.9, religiosity: -1.2 }) },
  { id: 'Q131', text: 'Could you tell me how secure you feel these days in your neighborhood?', options: ['Very secure', 'Quite secure', 'Not very secure', 'Not at all secure'], center: 0.7, loadings: L({ survivalSelfExpression: -0.7, gender: 0.2 }) },
  // ---- science and religion ----
  { id: 'Q158', text: 'Science and technology are making our lives healthier, easier, and more comfortable.', options: ten('Completely disagree', 'Completely agree'), center: -1.2, loadings: L({ traditionalSecular: -0.3, education: 0.3 }) },
  { id: 'Q169', text: 'Whenever science and religion conflict, religion is always right.', options: AGREE4, center: 0.0, loadings: L({ traditionalSecular: 1.0, religiosity: -1.0, education: 0.3 }) },
  { id: 'Q164', text: 'How important is God in your life?', options: ten('Not at all important', 'Very important'), center: 0.0, loadings: L({ traditionalSecular: -1.3, survivalSelfExpression: -0.3, age: 0.2, education: -0.15, religiosity: 1.8, gender: 0.15 }) },
  // ---- justifiability, 10-point ----
  { id: 'Q180', text: 'Please tell me whether you think this can always be justified, never be justified, or something in between: Cheating on taxes if you have a chance.', options: JUSTIFIABLE, center: 1.4, loadings: L({ traditionalSecular: 0.2, age: -0.4, gender: -0.1 }) },
  { id: 'Q182', text: 'Please tell me whether you think this can always be justified, never be justified, or something in between: Homosexuality.', options: JUSTIFIABLE, center: 0.0, loadings: L({ survivalSelfExpression: 1.5, traditionalSecular: 0.5, age: -0.5, religiosity: -0.6, education: 0.3, gender: 0.2 }) },
  { id: 'Q184', text: 'Please tell me whether you think this can always be justified, never be justified, or something in between: Abortion.', options: JUSTIFIABLE, center: 0.3, loadings: L({ traditionalSecular: 1.3, survivalSelfExpression: 0.6, religiosity: -0.8 }) },
  { id: 'Q185', text: 'Please tell me whether you think this can always be justified, never be justified, or something in between: Divorce.', options: JUSTIFIABLE, center: -0.2, loadings: L({ traditionalSecular: 1.1, survivalSelfExpression: 0.5, religiosity: -0.6, age: -0.2 }) },
  { id: 'Q187', text: 'Please tell me whether you think this can always be justified, never be justified, or something in between: Suicide.', options: JUSTIFIABLE, center: 1.0, loadings: L({ traditionalSecular: 0.8, survivalSelfExpression: 0.5, religiosity: -0.5, age: -0.2 }) },
  { id: 'Q188', text: 'Please tell me whether you think this can always be justified, never be justified, or something in between: Euthanasia.', options: JUSTIFIABLE, center: 0.3, loadings: L({ traditionalSecular: 1.1, survivalSelfExpression: 0.5, religiosity: -0.7, education: 0.2 }) },
  // ---- politics ----
  { id: 'Q199', text: 'How interested would you say you are in politics?', options: ['Very interested', 'Somewhat interested', 'Not very interested', 'Not at all interested'], center: -0.3, loadings: L({ survivalSelfExpression: -0.3, education: -0.5, age: -0.3, gender: 0.2 }) },
  { id: 'Q235', text: 'Having a strong leader who does not have to bother with parliament and elections is a way of governing this country that is:', options: GOOD4, center: -0.2, loadings: L({ survivalSelfExpression: 0.9, education: 0.3 }) },
  { id: 'Q240', text: 'In political matters, people talk of "the left" and "the right". How would you place your views on this scale, generally speaking?', options: ten('Left', 'Right'), center: 0.0, loadings: L({ traditionalSecular: -0.3, survivalSelfExpression: -0.2, religiosity: 0.4, age: 0.2 }) },
  { id: 'Q250', text: 'How important is it for you to live in a country that is governed democratically?', options: ten('Not at all important', 'Absolutely important'), center: -1.6, loadings: L({ survivalSelfExpression: 0.7, education: 0.3, age: 0.1 }) },
  { id: 'Q254', text: 'How proud are you of your nationality?', options: ['Very proud', 'Quite proud', 'Not very proud', 'Not at all proud'], center: 1.0, loadings: L({ traditionalSecular: 1.0, age: -0.2, religiosity: -0.2 }) },
];

export function questionById(id: string): ValueQuestion | undefined {
  return QUESTIONS.find((q) => q.id === id);
}
