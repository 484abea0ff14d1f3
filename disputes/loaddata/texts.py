"""What people write, what they are called, what stores sell: the data set's words."""

from deposits.models import LedgerEntry

from ..models import Appeal, Decision, Party
from .base import K

DESCRIPTIONS = {
    K.COUNTERFEIT: (
        "收到的商品做工粗糙，经专业机构鉴定不是正品。",
        "包装和防伪码都对不上，品牌官方客服确认不是正品。",
        "鉴定报告显示为仿冒品，要求假一赔四。",
    ),
    K.SEVEN_DAY_RETURN: (
        "收到后不想要了，商品未拆封，申请七天无理由退货被商家拒绝。",
        "在七天内申请退货，商家以已拆封为由拒绝。",
        "退货申请一直被驳回，商品完好，吊牌都在。",
    ),
    K.AFTER_SALES: (
        "商家承诺的免费上门安装一直没有兑现。",
        "承诺一年内免费换新，出了问题却不给处理。",
        "保修期内维修被拒绝，和页面上的承诺不符。",
    ),
    K.DESCRIPTION_MISMATCH: (
        "颜色和尺寸与商品详情页的描述不符。",
        "页面写的是真皮，收到的是人造革。",
        "实际容量远小于宣传的参数。",
    ),
    K.FALSE_ADVERTISING: (
        "页面宣称的功效完全没有，属于虚假宣传。",
        "宣传为进口原装，实际是国产贴牌。",
        "详情页展示的检测报告是伪造的。",
    ),
    K.PRICE_FRAUD: (
        "先涨价后打折，所谓的原价从未卖过。",
        "下单后价格被改高，页面上的优惠不兑现。",
        "标注的划线价虚高，属于价格欺诈。",
    ),
    K.LATE_SHIPPING: (
        "付款后超过48小时仍未发货，客服一直说在排单。",
        "承诺的发货时间已经过了，订单还是待发货。",
        "拖了好几天才发货，耽误了使用。",
    ),
}
EVIDENCE_KINDS = {
    K.COUNTERFEIT: ("authentication_report", "photo"),
    K.SEVEN_DAY_RETURN: ("chat_log", "photo"),
    K.AFTER_SALES: ("chat_log", "photo"),
    K.DESCRIPTION_MISMATCH: ("photo", "chat_log"),
    K.FALSE_ADVERTISING: ("photo", "chat_log"),
    K.PRICE_FRAUD: ("photo", "payment_voucher"),
    K.LATE_SHIPPING: ("chat_log", "other"),
}
REFUSALS = (
    "商品已拆封使用，不符合退货条件。",
    "我们核实后认为商品与描述一致。",
    "发货时间在约定范围内，不存在延迟。",
    "消费者提供的凭证不足以证明问题。",
    "该商品为正品，有品牌授权书为证。",
)
OFFER_NOTES = ("可以补偿部分差价，希望您能理解。", "愿意退款并赠送优惠券，无需退货。", "")
QUESTIONS = {
    Party.CONSUMER: (
        "请上传商品实物照片和包装照片。",
        "请提供与客服的完整聊天记录。",
        "请提供鉴定机构出具的报告原件。",
    ),
    Party.MERCHANT: (
        "请提供发货物流单号和揽收记录。",
        "请提供该批次商品的进货凭证。",
        "请说明拒绝退货的具体依据。",
    ),
}
ANSWERS = ("已上传相关材料，请查收。", "补充说明见附件。", "物流记录显示已签收，详见截图。")
REASONINGS = (
    "根据双方提交的证据，商家违反了平台规则，支持消费者的诉求。",
    "消费者提供的凭证真实有效，商家未能举证反驳。",
    "经核实，商品确与描述不符，按规则赔付。",
)
REDUCTIONS = ("部分损失证据不足，按可以证明的部分赔付。", "消费者也有一定责任，酌情减少赔付。")
REJECTIONS = {
    Decision.ReasonCode.INSUFFICIENT_EVIDENCE: "消费者提供的证据不足以证明商家违规。",
    Decision.ReasonCode.OUTSIDE_RULES: "该诉求不在平台规则的赔付范围内。",
    Decision.ReasonCode.NOT_PERSONAL_USE: "订单数量表明并非用于个人消费。",
    Decision.ReasonCode.BRAND_OWNER: "投诉人为品牌方，不适用假一赔四。",
    Decision.ReasonCode.MALICIOUS: "多次以相同理由投诉不同商家，属于恶意投诉。",
}
SEND_BACKS = ("赔付金额需要重新核算。", "证据引用不完整，请补充后再提交。")
APPEAL_REASONS = {
    Party.CONSUMER: (
        "赔付金额低于实际损失，补充了新的证据。",
        "不认可驳回的理由，补充了聊天记录。",
    ),
    Party.MERCHANT: (
        "商品为正品，补充了品牌授权和进货凭证。",
        "赔付金额过高，消费者的损失没有这么多。",
    ),
}
RESPONSES = ("不同意对方的申诉，维持原有意见。", "对方的新证据并不成立。")
RESOLUTIONS = {
    Appeal.Outcome.UPHELD: "经复核，维持原裁决。",
    Appeal.Outcome.REVISED_UP: "经复核，原裁决赔付不足，予以提高。",
    Appeal.Outcome.REVISED_DOWN: "经复核，原裁决赔付过高，予以调整。",
}
FAILURE = "收款账户信息有误，请核对后重试。"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉萍红玲芬燕鹏辉建国志文斌波宇浩凯健俊帆旭宁婷雪琳晨欣怡佳颖梅兰瑶慧莉倩悦琪"  # noqa: E501
BRANDS = (
    "优品",
    "雅致",
    "康健",
    "博文",
    "恒达",
    "锦绣",
    "悦动",
    "森林",
    "星河",
    "晨光",
    "蓝海",
    "金穗",
    "云裳",
    "丰禾",
    "知行",
    "乐活",
    "简约",
    "北极",
    "南山",
    "东方",
    "青禾",
    "百川",
    "天成",
    "和美",
)
CITIES = (
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "武汉",
    "西安",
    "厦门",
    "宁波",
    "青岛",
    "长沙",
    "郑州",
    "天津",
)
STORE_SUFFIX = {"flagship": "旗舰店", "specialty": "专卖店", "franchise": "专营店"}
# What stores of each category sell, at what prices (yuan).
CATALOG = {
    "apparel": (("纯棉T恤", 39, 199), ("羽绒服", 399, 1999), ("运动鞋", 199, 1299)),
    "digital": (("蓝牙耳机", 99, 1599), ("智能手机", 1299, 8999), ("笔记本电脑", 3999, 14999)),
    "beauty": (("精华液", 159, 1299), ("口红", 99, 399), ("面霜", 199, 2999)),
    "food": (("有机大米10kg", 59, 199), ("进口牛排礼盒", 199, 899), ("坚果礼盒", 69, 299)),
    "home": (("乳胶床垫", 999, 5999), ("四件套床品", 199, 899), ("不锈钢炒锅", 129, 699)),
    "books-av": (("精装历史丛书", 68, 398), ("黑胶唱片", 129, 599)),
    "local-services": (("家政保洁服务", 99, 599),),
    "e-tickets": (("演唱会门票", 280, 1880),),
    "games": (("游戏点卡", 30, 500),),
    "telecom-topup": (("话费充值", 30, 300),),
    "travel": (("三亚五日游", 1999, 8999),),
    "otc-drugs": (("感冒灵颗粒", 15, 89),),
    "medical-devices": (("电子血压计", 159, 699), ("家用制氧机", 1299, 5999)),
    "health-services": (("体检套餐", 299, 2999),),
    "new-cars": (("新车订金", 2000, 20000),),
    "used-cars": (("二手车订金", 2000, 10000),),
}
GENERIC_ITEMS = (("日用百货", 19, 299),)
BIG_ITEMS = (("笔记本电脑", 3999, 14999), ("智能手机", 1999, 8999), ("真皮手提包", 1599, 9999))
CATEGORY_GROUPS = (("general", 88), ("books_av", 4), ("services", 3), ("medical", 3), ("cars", 2))


PAY_IN_MEMO = {
    LedgerEntry.Kind.PAY_IN: "开店缴纳保证金",
    LedgerEntry.Kind.TOP_UP: "按通知补缴保证金",
}
