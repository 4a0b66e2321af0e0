"""The rule packs on the corpus's tuning material, text only (every file ``halves.yaml``
lists as tuning: each held-out file became tuning material once it had been reported),
and the intent constructions that
carry it: a violation must be found from how it is said, not only from the words the
packs happened to list. The independent files (``halves.yaml``) are never read
here; they are measured by ``benchmarks/rule_corpus.py`` alone, counts only."""

from __future__ import annotations

import pytest
import yaml
from corpus_tally import CORPUS, FLAGGING, Tally, tally_all

from clipguard.compliance_rules.scanner import Document, Scanner, scanner_for
from clipguard.models import MediaInfo, Segment, Transcript, Word

# the corpus's own record of which files are tuning material (never the independent ones)
SPLIT = yaml.safe_load((CORPUS / "halves.yaml").read_text(encoding="utf-8"))
TUNING = tuple(SPLIT["tuning"])
# ordinary speech, every sentence clean (the everyday tuning files only); measured 2 of
# 800 flagged in each with the shipped model (the held-out everyday file: 8 of 800)
EVERYDAY = tuple(SPLIT["everyday_tuning"])
EVERYDAY_FLAGS_MAX = 8


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return scanner_for(("all",))


@pytest.fixture(scope="module")
def tallies() -> dict[str, Tally]:
    """Every tuning file scanned once, one file per process (``corpus_tally``)."""
    return tally_all(TUNING + EVERYDAY)


def found(scanner: Scanner, text: str) -> list[tuple[str, str, str]]:
    return [(f.category, f.rule_id, f.severity) for f in scanner.scan(Document.from_text(text))]


@pytest.mark.parametrize("half", TUNING)
def test_tuning_material_recall_and_precision(tallies, half):
    """The shipped default (rules and the second opinion, which is trained on these
    files): measured all violations found in every file; clean sentences flagged 0-2
    per file, except the adversarial near-misses of tune8 (8 of 280: quotes of others'
    claims, warnings, innocent senses) and tune9 (6). The thresholds leave room for a
    rule change to cost a few sentences without hiding a regression."""
    hits = tallies[half]
    n, tp, clean, fp = (sum(r[i] for r in hits.values()) for i in range(4))
    assert n >= 140 and clean >= 140, "the whole file, not a sample (English-only: 140 each)"
    assert tp / n >= 0.97, (tp, n)
    assert tp / (tp + fp) >= 0.95, (tp, fp)
    for category, (cn, ctp, _cc, cfp) in hits.items():
        assert ctp / cn >= 0.9, (category, ctp, cn)
        assert cfp <= 3, (category, cfp)


@pytest.mark.parametrize("half", EVERYDAY)
def test_ordinary_speech_is_left_alone(tallies, half):
    """Hype, thanks, specs, logistics and small talk, some written as ASR writes it
    (ASCII commas, 上练结): most of a real stream."""
    (n, _tp, clean, flagged) = tallies[half]["everyday"]
    assert n == 0 and clean >= 500
    assert flagged <= EVERYDAY_FLAGS_MAX, flagged


@pytest.mark.parametrize(
    ("text", "rule", "severity"),
    [
        # round 8, English: no cheaper anywhere, "I'd be selling that one", a deal after the
        # live, medicine binned, radio frequencies, birthday money, "only goes one way"
        (
            "Look all you want, you will never find this cheaper",
            "en.abs.intent.none_better",
            "block",
        ),
        (
            "If there was a better blender I'd be selling that one instead",
            "en.abs.intent.none_better",
            "block",
        ),
        (
            "Call me after the stream and we'll sort a deal, no middleman",
            "en.off.intent.deal_outside",
            "block",
        ),
        (
            "I can't say the price here, so message me privately",
            "en.off.intent.deal_outside",
            "block",
        ),
        ("Binned my insulin since I started on these drops", "en.med.intent.claim", "review"),
        (
            "The frequencies we used on patrol, I'll read them out for subs",
            "en.mil.intent.insider",
            "review",
        ),
        (
            "Grab your birthday money and send me a lion, kids",
            "en.minor.intent.no_age_check",
            "block",
        ),
        ("Trust me lads, this token only goes one way", "en.fin.intent.promise", "block"),
        # a denial before "but" is not one of what follows it; "not on stream" is "not here"
        (
            "I can't say it on stream but check my story highlight, the number's there",
            "en.off.intent.deal_outside",
            "block",
        ),
        (
            "I can't say the unit designation out loud, so I'll spell it in the chat",
            "en.mil.secrets",
            "block",
        ),
        # round 9, mechanisms: a pattern that reaches into the next sentence no longer
        # uses up the match there; a refusal that turns on "but" or "so I'll" is an
        # evasion, not a refusal
        (
            "Got ringing in your ears? This spray clears it right up.",
            "en.med.intent.claim",
            "review",
        ),
        (
            "I won't say the unit number on camera, but the letters on our trucks were KF",
            "en.mil.intent.insider",
            "review",
        ),
        (
            "I'm not allowed to say the word, so I'll just spell it: this is the b-e-s-t kettle",
            "en.abs.best_in_world",
            "block",
        ),
        # round 10, mechanisms: a short question and its answer are one construction; a
        # refusal with a price on it (刷个火箭就告诉你们) is an evasion; Taiwan wording
        (
            "Under sixteen? No problem, just gift from your brother's account.",
            "en.minor.on_stream",
            "block",
        ),
        ("Psoriasis? Gone, two weeks on this balm.", "en.med.intent.claim", "review"),
        ("番号我不能讲……刷个火箭就告诉你们", "mil.disclosure", "block"),
        ("蝦皮賣場下單更便宜喔", "off.intent.deal_outside", "block"),
        # round 10: a brigade's new radar, a niece of eight given the links, no profit no
        # fee, a Twi insult
        ("今年我们团换装了新雷达，参数想听的扣1", "mil.intent.sighting_report", "review"),
        ("小侄女今年八岁，今晚让她来讲链接", "minor.intent.child_used_for_views", "block"),
        ("不赚钱不收费，老师带你进出", "fin.intent.income_guarantee", "block"),
        ("Kwasia, stop asking me the price.", "en.vul.intent.mock_more", "block"),
        # round 11: never fades, a floor price at auction, only ever dearer, a factory's
        # drawings, a classmate's phone, loans without checks, a buddy in the ops room
        ("这款水壶漆面永不掉色，放心用", "abs.absolute_words", "review"),
        ("这套纪念册等拍卖会上起码能拍到十万", "fin.intent.income_guarantee", "block"),
        ("黄花梨只会越来越贵，早买早赚", "fin.intent.income_guarantee", "block"),
        ("厂里的图纸我手上有扫描件，想要的私我", "mil.intent.sighting_report", "review"),
        ("借同学的手机刷也行，一样的", "minor.intent.child_used_for_views", "block"),
        (
            "No credit checks, instant approval for everyone in chat.",
            "en.fin.intent.loan_offer",
            "block",
        ),
        (
            "My buddy in the ops room tells me when the jets go up.",
            "en.mil.intent.insider",
            "review",
        ),
        ("Bald patch? This serum grows hair back in a month.", "en.med.intent.outcome", "review"),
        (
            "Kids, you don't need to ask your parents, coins are cheap.",
            "en.minor.intent.child_paid",
            "block",
        ),
        ("Best kettle, period, fight me in the comments.", "en.abs.intent.none_better", "block"),
        # round 9: Cantonese written as spoken (搵唔到 = 找不到), the real price "for old
        # customers", appreciation promised, a child on camera since age four, a list of
        # who carries which weapon, a gift from a schoolchild
        ("三年内你都搵唔到比佢更平嘅价", "abs.intent.none_beats_it", "block"),
        ("加微享八折，不加就原价", "off.intent.deal_outside", "block"),
        ("好货都在我朋友圈，车里的只是普货", "off.intent.deal_outside", "block"),
        ("喝了这个茶，别再吃那些西药了", "med.intent.cure_promise", "review"),
        ("这套纪念币保值增值，比存定期划算", "fin.intent.return_promise", "block"),
        ("没有征信也能贷，评论区扣个贷", "fin.intent.loan_offer", "block"),
        ("我们连队几个人、配什么枪我全讲给你们", "mil.intent.inside_look", "block"),
        ("我家娃四岁就跟着我出镜了", "minor.intent.child_on_stream", "block"),
        ("零花钱攒了好几个月，今天拿来花", "minor.intent.kids_called_to_tip", "block"),
        (
            "Regulars can pay by bank transfer instead of checkout",
            "en.off.intent.deal_outside",
            "block",
        ),
        ("My VIP group has never had a losing month", "en.fin.intent.promise", "block"),
        (
            "Thanks for the gift little man, what year are you in at school?",
            "en.minor.intent.no_age_check",
            "block",
        ),
        # round 8: a refund as the way out, the price "in the group", spelled-out 最,
        # resale promises, instant loans, children sent to sell, pocket money spent
        ("先拍下再申请退款，退完私信我，走我这边价更低", "off.intent.deal_outside", "block"),
        ("外面群里的价格比直播间低二十", "off.intent.deal_outside", "block"),
        ("全网zui便宜就是我们家，懂的都懂", "abs.intent.no_rival", "block"),
        ("这盒营养液喝一个月，记忆力翻倍", "med.intent.body_restored", "review"),
        ("这款手镯回收价比买入价还高，闭眼入", "fin.intent.return_promise", "block"),
        ("这手串放着坐等升值，比存银行还稳", "fin.intent.return_promise", "block"),
        (
            "No credit score? No problem, instant loan approved today",
            "en.fin.intent.loan_offer",
            "block",
        ),
        ("小孩子想买就自己下单，我们不看年龄", "minor.intent.no_age_check", "block"),
        ("别告诉你爸妈，偷偷充值就行", "minor.intent.no_age_check", "block"),
        (
            "Kids, spend your allowance on gifts for me tonight",
            "en.minor.intent.no_age_check",
            "block",
        ),
        ("这个电子烟做得像文具，小孩子也喜欢", "minor.intent.restricted_goods_for_kids", "block"),
        ("跟你们一样，看着光鲜，里面全是垃圾", "vul.intent.insult_more", "block"),
        ("pay me on Revolut instead, skip the shop fees", "en.off.intent.deal_outside", "block"),
        # round 7: dialect superlatives, adult products pitched to pupils, card cash-outs,
        # soldiers impersonated
        ("这款面霜是全上海顶好的，头一块牌子", "abs.intent.no_rival", "block"),
        ("初中生戴这个美瞳去上学，老师看不出来", "minor.intent.restricted_goods_for_kids", "block"),
        # the age as said (十五六岁), which the matcher sees with its digits folded (十56岁)
        ("十五六岁的女孩子用这个丰胸霜最好", "minor.intent.restricted_goods_for_kids", "block"),
        ("I can cash out your credit card for you, easy", "en.fin.intent.loan_offer", "block"),
        ("扮成武警去景区，没人拦", "mil.intent.uniform_endorsement", "review"),
        # "this is no scam" is not a refusal: the promise beside it stands
        ("这不是诈骗，稳赚不赔，跟着我买", "fin.guaranteed_return", "block"),
        # round 6: "can't say the price here" with a way out, WeChat unnamed, eyesight
        # restored, loans for the overdue, a child made to dance for gifts
        ("这个价格直播间不方便说，有意的私聊我", "off.intent.deal_outside", "block"),
        ("想要的去绿色软件上加我", "off.intent.find_me_elsewhere", "block"),
        ("老花眼的阿姨喝上一个月，重新看得清报纸", "med.intent.body_restored", "review"),
        ("这个网贷口子逾期的也能下款", "fin.intent.loan_offer", "block"),
        (
            "Dance for the uncles, sweetie, they'll send roses",
            "en.minor.intent.child_paid",
            "block",
        ),
        # round 5: age checks waived, restricted places filmed, bedroom innuendo
        ("这酒学生也能买，我们不查身份证", "minor.intent.no_age_check", "block"),
        ("No ID needed for the vape kits tonight", "en.minor.intent.no_age_check", "block"),
        ("偷偷溜进营区拍了几张，给大家看看", "mil.intent.restricted_filming", "block"),
        ("这个保健酒喝了，老公保证让你下不来床", "vul.intent.bedroom_innuendo", "block"),
        # a cure promise with no disease noun: time span or guarantee + healing
        ("这个茶两个疗程就好了", "med.intent.cure_promise", "review"),
        ("吃完这一盒，三天就痊愈", "med.intent.cure_promise", "review"),
        # a child hosting or performing, without 未成年/小孩/孩子
        ("今天让我闺女来当主播，大家多捧场", "minor.intent.child_on_stream", "block"),
        ("我儿子九岁了，今天他来给大家带货", "minor.intent.child_on_stream", "block"),
        # a deal outside the platform, without 交易 or 转账
        ("到店里买比直播间便宜五十", "off.intent.deal_outside", "block"),
        ("私聊我，给你打个八折", "off.intent.deal_outside", "block"),
        # contempt addressed to viewers
        ("没钱就别进来，出门左转", "vul.intent.dismiss", "block"),
        # insider claim, then an offer to tell in the next sentence: review even when
        # the secret nouns were misheard
        ("我在部队待过。这事我清楚，说给你们听", "mil.intent.insider_offer", "review"),
        # round 2: constructions, not sentences
        ("这款吹风机，整个品类谁也比不过它", "abs.intent.none_beats_it", "block"),
        ("搜我名字的拼音加六六，通过了私发", "off.intent.find_me_elsewhere", "block"),
        ("我妈就是喝这个药酒喝好的，现在能下地干活", "med.intent.cured_by_product", "review"),
        ("一次投资，终身分红", "fin.intent.scheme", "block"),
        ("拉朋友进来还有提成", "fin.intent.scheme", "block"),
        ("山上那个院子就是个雷达站，镜头拉近点", "mil.intent.inside_look", "block"),
        ("看了半天不下单，又来个白嫖的", "vul.intent.mock_viewers", "block"),
        ("初中生们写完作业了吗？来连麦，姐姐等你", "minor.intent.kids_called_to_tip", "block"),
        ("宝贝给叔叔们跳一段，礼物刷起来", "minor.intent.child_performs_for_gifts", "block"),
        (
            "Stop by my garage this weekend, cash, way cheaper than the app.",
            "en.off.intent.meet_or_group",
            "block",
        ),
        ("Your principal is completely safe with us.", "en.fin.intent.guarantee", "block"),
        # round 3: restricted goods named before the child, cash-out and debt rescue,
        # a friend feed, an unbeaten product, innuendo about the product
        ("这瓶果酒甜甜的，初中生喝着玩没事", "minor.intent.restricted_goods_for_kids", "block"),
        ("教你们关掉青少年模式，玩多久都行", "minor.intent.restricted_goods_for_kids", "block"),
        ("花呗额度用不完的，我帮你套出来", "fin.intent.cashout_and_debt", "block"),
        ("网贷还不上别慌，我这有口子", "fin.intent.cashout_and_debt", "block"),
        ("Give me your coins and I'll double it by Friday.", "en.fin.intent.double_it", "block"),
        ("要买的去我朋友圈链接下单", "off.intent.elsewhere_channel", "block"),
        ("这款键盘，没有任何一款能比得上它的手感", "abs.intent.unbeaten", "block"),
        ("这口红涂上能勾几个帅哥回家", "vul.intent.innuendo_and_shaming", "block"),
        # rounds 12-13: orders while you sleep, a refund with the goods sent apart, a
        # radar's blind angle, the banned character as a letter with a wink, a tablet
        # after the parents said no, a schedule from inside, shelf money
        ("睡觉都在出单的网店项目，跟我干", "fin.intent.income_guarantee", "block"),
        ("先拍一件再申请退款，我另外单独发货给你", "off.intent.deal_outside", "block"),
        ("雷达东边那个角度是瞎的，低空飞过去根本看不到", "mil.intent.sighting_report", "review"),
        ("这是Z低的价了，那个字我不敢说，你们懂的", "abs.absolute_words", "review"),
        (
            "Your parents said no? Just gift from the tablet then",
            "en.minor.intent.child_paid",
            "block",
        ),
        (
            "The Red Flag schedule for the base is in my inbox, VIPs get the dates",
            "en.mil.intent.insider",
            "review",
        ),
        (
            "Sealed boxes are free money sitting on a shelf, trust me",
            "en.fin.intent.promise",
            "block",
        ),
        # rounds 17-18: a dare to find the quality elsewhere, hoard-and-sell-together, the
        # gate's shift change, a stall that is cheaper in cash, an insult to a face
        ("这茶你要是能在外面买到这个品质，链接发我，我去买", "abs.intent.none_beats_it", "block"),
        ("跟着我囤这批货，等行情一来我带大家一起出货", "fin.intent.return_promise", "block"),
        ("Keep one sealed, and in ten years it pays for itself", "en.fin.intent.promise", "block"),
        ("我们送菜进去的，门岗整点换班，我清楚得很", "mil.intent.inside_look", "block"),
        ("想要的来码头档口现场拿，给你算便宜点", "off.intent.deal_outside", "block"),
        (
            "Bring loonies and toonies to the stall on Saturday, no fees",
            "en.off.intent.deal_outside",
            "block",
        ),
        ("你这张脸开了美颜也救不回来", "vul.intent.insult_more", "block"),
    ],
)
def test_intent_constructions(scanner, text, rule, severity):
    hits = [(r, s) for _c, r, s in found(scanner, text)]
    assert (rule, severity) in hits, hits


def test_insider_offer_with_a_secret_noun_is_block(scanner):
    hits = found(scanner, "我当兵那几年，我们营的番号我可以告诉大家")
    assert ("military_secrets", "block") in {(c, s) for c, _r, s in hits}, hits


def test_follows_spans_one_sentence_end_not_two():
    """在部队待过 and 这事我清楚 in consecutive transcript segments form the construction;
    with a whole sentence between them they do not."""
    scanner = scanner_for(("all",))

    def transcript(*sentences: str) -> Transcript:
        segs, t = [], 0.0
        for text in sentences:
            words = tuple(Word(t + i * 0.3, t + i * 0.3 + 0.25, c) for i, c in enumerate(text))
            segs.append(Segment(words[0].start, words[-1].end, text, words))
            t = words[-1].end + 0.5
        return Transcript(MediaInfo("x.mp4", "0" * 64, t), "zh", "base", tuple(segs))

    near = scanner.scan(transcript("我以前在部队待过。", "这事我清楚，说给你们听。"))
    assert [f.rule_id for f in near] == ["mil.intent.insider_offer"], near
    assert near[0].match == "follows" and near[0].start < 3.0 < near[0].end
    far = scanner.scan(transcript("我以前在部队待过。", "今天天气不错。", "这事我清楚。"))
    assert [f for f in far if f.rule_id == "mil.intent.insider_offer"] == []


def test_a_short_question_and_its_answer_are_one_construction(scanner):
    """Hosts ask and answer in one breath (Rosacea? Gone. 谁的零花钱多？给主播冲一波榜):
    a construction runs across the mark of a short question, not across an exclamation or
    a long question, and the answer's own denial still counts."""

    def categories(text: str) -> set[str]:
        return {c for c, _r, _s in found(scanner, text)}

    assert "medical_claims" in categories("Eczema? Gone. That's this balm, girls.")
    assert "medical_claims" not in categories("Eczema! Gone! That's this balm, girls.")
    long_q = "So who in the chat tonight has had eczema for years? Gone. Next item."
    assert "medical_claims" not in categories(long_q)
    assert "minors" in categories("谁的零花钱多？拿来给主播冲一波榜")
    assert categories("零花钱够吗？不够就别给主播冲了") == set()


@pytest.mark.parametrize(
    "text",
    [
        # the rule's words in a denial, a notice or a mention
        "这个按摩椅不是医疗器械，不治病",
        "刷礼物全凭自愿，小朋友千万不要打赏",
        "我不会跟你们说稳赚，投资有风险",
        "番号这种东西别问，咱们只聊模型",
        "不要私下加任何人的微信，谨防诈骗",
        # everyday live-stream speech that shares words with the intent rules
        "虾皮炒鸡蛋很香，这包虾皮两百克",
        "Swing by the bank with your card and check your balance.",
        "零花钱够吗？不够就别买了",
        "Who's got eczema? Try the patch test first.",
        "My nephew's ten and he loves this kit, I bought it for him.",
        "我家孩子很喜欢跳舞，所以买了这个舞蹈鞋",
        "我们实体店在北京，价格和直播间一样",
        "这个锅最大的优点是不粘，最低温度可以调到十六度",
        "我爸以前当过兵，他很喜欢这个坦克模型",
        "这个滚筒洗衣机很省电，傻瓜式操作",
        "三个月的宝宝可以用这个奶瓶",
        "价格翻倍是因为活动结束恢复原价了",
        "跟这个版本相比，新款轻了很多",
        "Nobody can guarantee investment returns, please be careful.",
        "My son is ten and this bike fits him perfectly.",
        # broad review words without their construction (round 2: context-aware)
        "微信支付也可以，下单的时候选就行",
        "刚才微信群里有人问这款有没有大码",
        "二维码图案的卫衣在五号链接",
        "电话号码不要发在公屏上，注意保护隐私",
        "未成年人下单请家长代为购买",
        "最低起拍一件，不用凑单",
        "我们不说最好，只说适合",
        "根治不了的病别信直播间，去正规医院",
        "模型上的番号贴纸是虚构的，随便贴",
        "转账记录不要发给任何人，官方不会让你私下付款",
        "My son's at school today, so it's just me hosting.",
        # words of the round-2 constructions in everyday speech
        "搜我名字就能找到直播间，记得关注",
        "拍下备注主播名字送小样",
        "这款小号拍大了可以换",
        "一次购买终身保修",
        "新款上市以后就涨价了",
        "这是军营同款被子，叠起来方方正正",
        "这个技术以前其实是军用的",
        "多了几个师傅来帮忙打包",
        "这把水枪射程实测八米",
        "叫你妈妈来看看这件外套",
        "今天有白嫖的机会，关注就送",
        "我奶奶耳朵聋了，给她买个助听器",
        "这个礼物藏好，别让妈妈发现，给她一个惊喜",
        "同学们，进粉丝团领优惠券",
        "目前下单没有人超过三单",
        "吃好的喝好的，身体才会好",
        "I guarantee you'll love it, and returns are free.",
        "Come by my booth at the fair next week, prices are the same as the app.",
        "You are never too old for this style.",
        # round 8, English: a neckline, a parent asked first, impostors named, self-mockery,
        # a son kept off the stream
        "The neckline stays modest when you bend over",
        "Kids, ask your parents first before buying anything, or honestly just don't.",
        "Scammers are pretending to be us on Telegram, only buy in the app",
        "I called myself an idiot for forgetting the charger",
        "My son is ten, he doesn't come on the stream, he's at football",
        "A kid in chat asked to send me a gift, no, give the phone back to your mum",
        "People call him the GOAT of tennis, that's why his card costs more",
        # round 9: denials in Cantonese (唔系 = 不是, 冇 = 没), a product line called SB, a
        # price of 250, a showcase on one's own profile, pocket money kept for school
        "呢款唔系全网最低价，但系好抵",
        "Is it the best phone ever? Nah, but it's solid for the price.",
        "我唔会同你讲佢係天下第一，但日常用够晒",
        "佢冇得国家级认证，就系普通货",
        "我个仔今日返学，冇出镜",
        "这双是Nike SB系列的滑板鞋",
        "看我主页橱窗，上次那个茶饼也挂在里面",
        "小朋友的压岁钱留着交学费",
        "Parents, set a password so little ones can't buy stuff",
        # round 8: self-mockery, laundry, a child at school, a refund kept on the platform,
        # a singing prize, partial relief, a toy's noise
        "我有点十三点，刚才链接挂错了",
        "这件卫衣能放滚筒洗，也能滚烘",
        "孩子上学去了，我才出来开播",
        "哪有稳赚的买卖，种地还看天呢",
        "拍错的在平台上申请退款就行，不用找我私聊",
        "我家老爷子唱歌比赛拿过第一名",
        "这款吃了睡得香，用了一周皮肤干燥好了一些",
        "My daughter is seven and she's never on camera, she's at school",
        "孩子偷偷充值的，发现了第一时间找平台客服",
        "这个玩具按一下会发出放屁的声音，孩子笑疯了",
        # round 7: 阿拉 is "we" in Shanghai, debts snowball, an order number is not a handle
        "阿拉微信步数今天两万多",
        "借钱利滚利越滚越大，千万别碰网贷",
        "评论区那串数字是快递单号吧，我帮你查",
        # round 6: a secret kept, advice to see a doctor, a chat that is only a chat
        "番号这个不方便说，大家理解一下",
        "你们问的那个型号，官方没公布的我不猜也不传",
        "腿脚不好的还是去医院查查，这个只是护膝",
        "我们线下聊天的时候也常说这个",
        # round 5: the same words in care, a check or a warning
        "腰扭了，疼得三天下不了床，这护腰我自己在用",
        "买酒要查身份证，未成年不卖",
        "小朋友们千万别在网上说家庭住址",
        "We check ID for every vape order, no exceptions",
        # words of the round-3 constructions in everyday speech
        "这款儿童书包很适合小学生，肩带加宽了",
        "我们的酒店在景区旁边，带小朋友来玩很方便",
        "油烟机很安静，孩子在旁边写作业也不吵",
        "他在游戏里稳坐头把交椅，老玩家了",
        "This backpack is great for middle schoolers, lots of pockets.",
        # rounds 12-13: self-mockery, a time of day, a margin, a warning, the platform's
        # own refund, 去根 inside 过去根本
        "我脑子有点瓦特，价格说错了",
        "十三点了，先吃个饭",
        "I was a total idiot with my first trades",
        "I'm such a drongo, forgot the mic again",
        "薄利多销，一包赚一块钱",
        "不走平台退款的都是骗子，别信",
        "申请退款走平台就行，客服会处理",
        "无人机飞过去根本看不清，我们只拍风景",
        # rounds 17-18: a child's wish, a question answered honestly, an impostor's
        # account disowned, savings advice
        "我女儿说想当主播，我说先把书念完",
        "Is it the cheapest? No idea, I only know tonight's coupon",
        "那个蓝色小飞机上的号不是我，别上当",
        "Put your savings in a proper bank account before buying gadgets",
    ],
)
def test_everyday_and_denials_stay_clean(scanner, text):
    assert [h for h in found(scanner, text) if h[2] in FLAGGING] == []


def test_intent_rules_stay_out_of_the_recognizer_prompt(scanner):
    """The prompt takes one term per blocking rule; construction rules carry patterns
    and pairs, never terms, so adding them does not change what Whisper is primed with
    (and the transcripts cached under the old prompt stay valid)."""
    intent = [r for r in scanner.rules if ".intent." in r.id]
    assert len(intent) >= 10
    assert all(not r.terms for r in intent), [r.id for r in intent if r.terms]


@pytest.mark.parametrize(
    "text",
    [
        # how Whisper wrote dev_zh's 二维码 and 某宝: found by sound, not by spelling
        "想要的朋友扫一下屏幕上的二围马，加我好有私聊",
        "大家去某保修我的电名，那边便应",
    ],
)
def test_misheard_contact_words_are_still_found(scanner, text):
    assert "off_platform" in {c for c, _r, _s in found(scanner, text)}
